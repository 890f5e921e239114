//! The command line as a user runs it: the real binary, its output and its errors.

use std::process::Command;

fn zhigai(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zhigai-server"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(args: &[&str]) -> String {
    let out = zhigai(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn template_export_prints_the_template_as_json_of_the_documented_shape() {
    let json: serde_json::Value = serde_json::from_str(&stdout(&["template", "export"])).unwrap();
    assert_eq!(json["id"], "national-2026");
    assert_eq!(json["version"], 2);
    let areas = json["areas"].as_array().unwrap();
    assert_eq!(areas.len(), 9);
    let items: usize = areas
        .iter()
        .map(|a| a["items"].as_array().unwrap().len())
        .sum();
    assert!(items >= 60);
    let item = &areas[4]["items"][3];
    assert_eq!(item["id"], "T5.04");
    for key in ["text_zh", "text_en", "guidance_zh", "source", "applies_to"] {
        assert!(item[key].is_string() || item[key].is_object(), "{key}");
    }
}

#[test]
fn applicable_lists_item_ids_for_a_village_clinic_without_task_nine() {
    let ids = stdout(&["template", "applicable", "--type", "village_clinic"]);
    let ids: Vec<&str> = ids.lines().collect();
    assert!(ids.contains(&"T1.04") && ids.contains(&"T8.08"));
    assert!(!ids.iter().any(|i| i.starts_with("T9.")));
    assert!(!ids.contains(&"T6.01"), "no lab, no lab items");
    // The short form: no township duties, and the alliance items only for an alliance member.
    assert!(!ids.contains(&"T1.06") && !ids.contains(&"T6.05"));
    let member = stdout(&[
        "template",
        "applicable",
        "--type",
        "village_clinic",
        "--alliance",
    ]);
    assert!(member.lines().any(|i| i == "T6.05"));
    assert!(!member.lines().any(|i| i == "T1.01"));
    // Imaging alone opens the 检查 items.
    let imaging = stdout(&[
        "template",
        "applicable",
        "--type",
        "township",
        "--services",
        "imaging",
    ]);
    assert!(imaging.lines().any(|i| i == "T6.04"));
    assert!(!imaging.lines().any(|i| i == "T6.02"));
}

#[test]
fn services_open_their_items() {
    let all = stdout(&[
        "template",
        "applicable",
        "--type",
        "central_township",
        "--beds",
        "60",
        "--services",
        "inpatient,surgery,emergency,lab,tcm,family_doctor,transfusion",
    ]);
    let ids: Vec<&str> = all.lines().collect();
    for id in ["T9.01", "T9.11", "T9.14", "T6.03", "T4.01", "T3.11"] {
        assert!(ids.contains(&id), "{id}");
    }
    let json: serde_json::Value = serde_json::from_str(&stdout(&[
        "template",
        "applicable",
        "--type",
        "community_centre",
        "--beds",
        "30",
        "--json",
    ]))
    .unwrap();
    assert_eq!(json["wave"], 2026);
    assert_eq!(
        json["count"].as_u64().unwrap() as usize,
        json["items"].as_array().unwrap().len()
    );
    let small: serde_json::Value = serde_json::from_str(&stdout(&[
        "template",
        "applicable",
        "--type",
        "community_centre",
        "--beds",
        "29",
        "--json",
    ]))
    .unwrap();
    assert_eq!(small["wave"], 2027);
}

#[test]
fn unknown_types_and_services_get_a_clear_error() {
    let out = zhigai(&["template", "applicable", "--type", "hospital"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown facility type 'hospital'"), "{err}");
    let out = zhigai(&[
        "template",
        "applicable",
        "--type",
        "township",
        "--services",
        "xray",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown service 'xray'"));
}

fn zhigai_db(db: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zhigai-server"))
        .args(args)
        .env("ZHIGAI_DATABASE_URL", db)
        .env("ZHIGAI_LOG", "warn")
        .output()
        .unwrap()
}

#[test]
fn admin_commands_build_a_directory_and_refuse_what_does_not_fit() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("z.db").display());
    let ok = |args: &[&str]| {
        let out = zhigai_db(&db, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let fails = |args: &[&str]| {
        let out = zhigai_db(&db, args);
        assert!(!out.status.success(), "{args:?} should fail");
        String::from_utf8(out.stderr).unwrap()
    };
    ok(&["admin", "add-county", "--id", "c1", "--name", "某某县"]);
    assert!(
        fails(&["admin", "add-county", "--id", "c1", "--name", "again"]).contains("already exists")
    );
    ok(&[
        "admin",
        "add-community",
        "--id",
        "g1",
        "--county",
        "c1",
        "--name",
        "东部医共体",
        "--lead-hospital",
        "县人民医院",
    ]);
    assert!(
        fails(&[
            "admin",
            "add-community",
            "--id",
            "g2",
            "--county",
            "nope",
            "--name",
            "x",
            "--lead-hospital",
            "y"
        ])
        .contains("no county")
    );
    let added = ok(&[
        "admin",
        "add-facility",
        "--id",
        "f1",
        "--county",
        "c1",
        "--community",
        "g1",
        "--name",
        "某镇中心卫生院",
        "--type",
        "central_township",
        "--beds",
        "50",
        "--services",
        "inpatient,lab",
    ]);
    assert!(added.contains("wave 2026"), "{added}");
    // `admin add-user` for a user, role, scope flag (`--facility` or `--county`), scope and password.
    let add_user = |user: &'static str,
                    role: &'static str,
                    scope: [&'static str; 2],
                    password: &'static str| {
        [
            "admin",
            "add-user",
            "--username",
            user,
            "--name",
            user,
            "--role",
            role,
            scope[0],
            scope[1],
            "--password",
            password,
        ]
    };
    ok(&add_user(
        "wang",
        "member",
        ["--facility", "f1"],
        "village-2026",
    ));
    assert!(
        fails(&add_user(
            "li",
            "member",
            ["--county", "c1"],
            "village-2026"
        ))
        .contains("--facility")
    );
    assert!(
        fails(&add_user("zhao", "reviewer", ["--county", "c1"], "short")).contains("8 characters")
    );
    ok(&add_user(
        "zhao",
        "reviewer",
        ["--county", "c1"],
        "county-2026",
    ));
    ok(&[
        "admin",
        "reset-password",
        "--username",
        "wang",
        "--password",
        "village-2027",
    ]);
    assert!(
        fails(&[
            "admin",
            "reset-password",
            "--username",
            "nobody",
            "--password",
            "village-2027"
        ])
        .contains("no user")
    );
    assert!(ok(&["admin", "revoke-sessions", "--username", "wang"]).contains("0 session(s)"));

    // The levels above and beside: province, city, an urban district reviewing in two steps, a village
    // clinic guided by its township centre, and accounts at each level.
    ok(&["admin", "add-province", "--id", "p1", "--name", "某某省"]);
    assert!(
        fails(&[
            "admin",
            "add-city",
            "--id",
            "s1",
            "--province",
            "p9",
            "--name",
            "某某市"
        ])
        .contains("no province")
    );
    ok(&[
        "admin",
        "add-city",
        "--id",
        "s1",
        "--province",
        "p1",
        "--name",
        "某某市",
    ]);
    let added = ok(&[
        "admin",
        "add-county",
        "--id",
        "d1",
        "--name",
        "某某区",
        "--city",
        "s1",
        "--kind",
        "district",
        "--two-step",
    ]);
    assert!(
        added.contains("区 d1") && added.contains("2 review steps"),
        "{added}"
    );
    assert!(
        ok(&[
            "admin",
            "set-review-steps",
            "--county",
            "d1",
            "--steps",
            "1"
        ])
        .contains("1 step")
    );
    assert!(
        fails(&[
            "admin",
            "set-review-steps",
            "--county",
            "d1",
            "--steps",
            "3"
        ])
        .contains("3")
    );
    let village = |id: &'static str, kind: &'static str, guide: &'static str| {
        [
            "admin",
            "add-facility",
            "--id",
            id,
            "--county",
            "c1",
            "--name",
            id,
            "--type",
            kind,
            "--guided-by",
            guide,
        ]
    };
    assert!(fails(&village("v0", "township", "f1")).contains("only a village clinic"));
    assert!(fails(&village("v0", "village_clinic", "nowhere")).contains("no facility"));
    ok(&village("v1", "village_clinic", "f1"));
    assert!(
        fails(&village("v2", "village_clinic", "v1")).contains("only a township or community"),
        "a clinic cannot guide a clinic"
    );
    ok(&add_user(
        "qian",
        "community_reviewer",
        ["--community", "g1"],
        "county-2026",
    ));
    ok(&add_user(
        "zheng",
        "city_reviewer",
        ["--city", "s1"],
        "county-2026",
    ));
    assert!(
        fails(&add_user(
            "feng",
            "province_viewer",
            ["--city", "s1"],
            "county-2026"
        ))
        .contains("--province")
    );
    assert!(
        fails(&add_user(
            "feng",
            "province_viewer",
            ["--province", "p9"],
            "county-2026"
        ))
        .contains("no province")
    );
    ok(&add_user(
        "feng",
        "province_viewer",
        ["--province", "p1"],
        "county-2026",
    ));
    ok(&add_user("it", "admin", ["--city", "s1"], "county-2026"));
}

#[test]
fn the_demo_command_seeds_once_and_prints_its_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("z.db").display());
    let first = zhigai_db(&db, &["demo"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let text = String::from_utf8(first.stdout).unwrap();
    assert!(
        text.contains("reviewer") && text.contains("chengguan-head") && text.contains("zhigai2026")
    );
    let roles = [
        "第一责任人",
        "成员",
        "审核人员",
        "管理员",
        "医共体质控",
        "市级质控中心",
        "省级查看",
    ];
    assert!(roles.iter().all(|r| text.contains(r)));
    let second = String::from_utf8(zhigai_db(&db, &["demo"]).stdout).unwrap();
    assert!(second.contains("already present"));
}

/// A province derives a checklist from the national baseline, edits the file, publishes it and reads its
/// diff; what does not fit is refused with a reason.
#[test]
fn template_derive_publish_diff_and_list() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("z.db").display());
    let run = |args: &[&str]| zhigai_db(&db, args);
    let ok = |args: &[&str]| {
        let out = run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    ok(&["admin", "add-province", "--id", "p1", "--name", "某省"]);
    let skeleton = ok(&[
        "template",
        "derive",
        "--from",
        "national-2026",
        "--id",
        "p1-checklist",
        "--publisher",
        "province:p1",
    ]);
    assert!(skeleton.contains("parent = { id = \"national-2026\", version = 2 }"));
    // The admin edits the file: retires an item and sets a target.
    let edited = skeleton.replace(
        "retire = []",
        "retire = [\"T3.13\"]\n\n[[refine]]\nitem = \"T5.01\"\ntarget = 92.0",
    );
    let file = dir.path().join("p1.toml");
    std::fs::write(&file, edited).unwrap();
    let file = file.to_str().unwrap();
    let year = zhigai_server::clock::today_cst().year().to_string();
    let published = ok(&["template", "publish", file, "--from-year", &year]);
    assert!(
        published.contains(&format!("published p1-checklist@1, applies from {year}")),
        "{published}"
    );
    assert!(
        published.contains("- T3.13") && published.contains("~ T5.01"),
        "{published}"
    );
    let diff = ok(&["template", "diff", "p1-checklist@1"]);
    assert!(
        diff.contains("against national-2026@2") && diff.contains("[target]"),
        "{diff}"
    );
    let list = ok(&["template", "list"]);
    assert!(
        list.contains("national-2026@1")
            && list.contains("p1-checklist@1\tprovince:p1 from national-2026@2"),
        "{list}"
    );
    // Published versions are never changed: the same version again is refused, naming the next.
    let again = run(&["template", "publish", file]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("the next to publish is 2"));
    // A publisher the directory lacks; a file that is not a derivation.
    let skeleton = ok(&[
        "template",
        "derive",
        "--from",
        "national-2026@2",
        "--id",
        "x",
        "--publisher",
        "city:nowhere",
    ]);
    std::fs::write(dir.path().join("x.toml"), skeleton).unwrap();
    let nowhere = run(&[
        "template",
        "publish",
        dir.path().join("x.toml").to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&nowhere.stderr).contains("no city 'nowhere'"));
    std::fs::write(dir.path().join("bad.toml"), "id = 3").unwrap();
    let bad = run(&[
        "template",
        "publish",
        dir.path().join("bad.toml").to_str().unwrap(),
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("malformed"));
}

/// A small bench run (6 clients over 2 documents, 2 s steps at `rates`, plus `more` flags): its output.
fn small_bench(rates: &str, more: &[&str]) -> String {
    let mut args = vec![
        "bench",
        "--clients",
        "6",
        "--docs",
        "2",
        "--rates",
        rates,
        "--seconds",
        "2",
    ];
    args.extend_from_slice(more);
    stdout(&args)
}

/// The cells of each rate's row of the bench's Markdown table.
fn bench_rows(out: &str) -> Vec<Vec<&str>> {
    out.lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| offered"))
        .map(|l| l.trim_matches('|').split('|').map(str::trim).collect())
        .collect()
}

/// The load tool end to end on a tiny sweep: it starts its own server, and every edit of every step is
/// acknowledged (no figure of speed is asserted; those vary with the machine).
#[test]
fn bench_sweeps_rates_and_every_edit_is_acknowledged() {
    let out = small_bench("12,24", &[]);
    let rows = bench_rows(&out);
    assert_eq!(rows.len(), 2, "one row per rate:\n{out}");
    for (row, rate) in rows.iter().zip(["12", "24"]) {
        assert_eq!(row[0], rate);
        let (edits, acked): (u64, u64) = (row[1].parse().unwrap(), row[2].parse().unwrap());
        assert!(edits > 0, "{out}");
        assert_eq!(edits, acked, "every edit acknowledged:\n{out}");
        assert!(
            row[6].ends_with("ms"),
            "server CPU per change reported: {out}"
        );
        let lag: f64 = row[9].trim_end_matches(" ms").parse().unwrap();
        assert!(lag >= 0.0, "the clients' lag reported: {out}");
    }
    assert!(out.contains("clients failed: 0"), "{out}");
}

#[test]
fn bench_over_two_instances_on_postgres_acknowledges_every_edit() {
    use sqlx::Connection;
    let admin = std::env::var("ZHIGAI_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let name = format!("zhigai_bench_{}", &zhigai_server::auth::new_secret()[..12]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sql = |statement: String| {
        runtime.block_on(async {
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("PostgreSQL must run on 127.0.0.1:5432 (or set ZHIGAI_TEST_POSTGRES)");
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                .execute(&mut conn)
                .await
                .unwrap();
        });
    };
    sql(format!("CREATE DATABASE {name}"));
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    let out = small_bench("12", &["--instances", "2", "--database-url", &url]);
    sql(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    let server = out.lines().next().unwrap_or_default();
    assert_eq!(
        server.matches("http://").count(),
        2,
        "two instances started: {server}"
    );
    let rows = bench_rows(&out);
    let row = rows
        .iter()
        .find(|r| r[0] == "12")
        .unwrap_or_else(|| panic!("no row for the rate:\n{out}"));
    let (edits, acked): (u64, u64) = (row[1].parse().unwrap(), row[2].parse().unwrap());
    assert!(edits > 0, "{out}");
    assert_eq!(
        edits, acked,
        "every edit acknowledged across instances:\n{out}"
    );
    assert!(out.contains("clients failed: 0"), "{out}");
}
