//! The county reviewer's endpoints: the overview equals what the typed documents say, coverage per wave,
//! overdue rectifications, and the exports read back to the same figures; another county gets nothing.

use crate::both;
use crate::helpers::*;
use calamine::{Data, DataType, Reader, Xlsx};
use serde_json::Value;
use std::io::Cursor;
use zhigai_server::client::SyncClient;
use zhigai_shared::Document;
use zhigai_shared::doc::{Date, NewProblem, ProblemChange, ProblemStatus};
use zhigai_shared::summary::summarize;
use zhigai_shared::{Author, FacilityId, FractionPart, ItemId, Stamp, Status, Template, Timestamp};

const YEAR: u16 = 2027;
const FACILITIES: [&str; 4] = ["beipo", "nanhe", "zhangcun", "xicheng"];

async fn fetch(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}{path}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn json(app: &TestApp, token: &str, path: &str) -> Value {
    let r = fetch(app, token, path).await;
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

/// A server with the demo county, and its reviewer logged in.
async fn app_and_reviewer(backend: Backend) -> (TestApp, SyncClient) {
    let app = spawn_app(backend).await;
    let reviewer = SyncClient::login(&app.base, "reviewer", PASSWORD)
        .await
        .unwrap();
    (app, reviewer)
}

/// A small deterministic generator, so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Fills each facility's inspection with generated statuses and problems through the sync server and
/// returns the typed documents as the facility holds them.
async fn generate(app: &TestApp, seed: u64) -> Vec<(String, zhigai_shared::Inspection)> {
    let mut rng = Lcg(seed);
    let today = zhigai_server::clock::today_cst();
    let statuses = [
        Status::Compliant,
        Status::Partial,
        Status::NonCompliant,
        Status::NotApplicable,
    ];
    let mut docs = Vec::new();
    for facility in FACILITIES {
        let id = inspection_id(facility, YEAR);
        let mut client = app.client(&format!("{facility}-head")).await;
        client
            .open(id, genesis_inspection(facility, YEAR))
            .await
            .unwrap();
        let stamp = Stamp::new(
            Author::new(format!("u-{facility}-head"), "院长"),
            Timestamp(1),
        );
        let doc = client.inspection_mut(id);
        for item in Template::national().items() {
            // Some items outside the facility's checklist get answers too: they must not count.
            if rng.below(3) == 0 {
                let status = statuses[rng.below(4) as usize];
                doc.set_status(&item.id, Some(status), &stamp).unwrap();
            }
        }
        // Indicators: a rate from its two counts, and a count.
        let audited = 20.0 + rng.below(40) as f64;
        doc.set_fraction_part(
            &ItemId::from("T5.01"),
            FractionPart::Denominator,
            Some(audited),
            &stamp,
        )
        .unwrap();
        doc.set_fraction_part(
            &ItemId::from("T5.01"),
            FractionPart::Numerator,
            Some(audited - rng.below(10) as f64),
            &stamp,
        )
        .unwrap();
        doc.set_metric(&ItemId::from("T5.09"), Some(rng.below(9) as f64), &stamp)
            .unwrap();
        for n in 0..rng.below(6) {
            let offset = rng.below(120) as i64 - 60;
            let deadline = Date::from_days_since_epoch(today.days_since_epoch() + offset).unwrap();
            let problem = doc
                .add_problem(
                    NewProblem {
                        item: Some(ItemId::from("T1.01")),
                        description: format!("问题{n}"),
                        measure: "整改".into(),
                        owner: None,
                        deadline: Some(deadline),
                    },
                    &stamp,
                )
                .unwrap();
            let status = [
                ProblemStatus::Open,
                ProblemStatus::InProgress,
                ProblemStatus::Rectified,
            ][rng.below(3) as usize];
            doc.update_problem(&problem, ProblemChange::Status(status), &stamp)
                .unwrap();
        }
        assert!(client.wait_acked(id, WAIT).await.unwrap());
        docs.push((facility.to_owned(), client.inspection_mut(id).fork()));
    }
    docs
}

async fn summary_rows_equal_the_typed_documents(backend: Backend) {
    let app = spawn_app(backend).await;
    let docs = generate(&app, 7).await;
    let reviewer = SyncClient::login(&app.base, "reviewer", PASSWORD)
        .await
        .unwrap();
    let body = json(
        &app,
        reviewer.token(),
        &format!("/api/counties/demo-county/summary?year={YEAR}"),
    )
    .await;
    let today = zhigai_server::clock::today_cst();
    for (facility, doc) in &docs {
        let profile = app
            .store
            .fetch_facility(&FacilityId::from(facility.as_str()))
            .await
            .unwrap()
            .unwrap()
            .profile();
        let expected = summarize(doc, Template::national(), &profile);
        let row = body["facilities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["facility_id"] == facility.as_str())
            .unwrap();
        assert_eq!(row["applicable"], expected.applicable, "{facility}");
        assert_eq!(row["answered"], expected.answered, "{facility}");
        assert_eq!(
            row["areas"],
            serde_json::to_value(&expected.areas).unwrap(),
            "{facility}"
        );
        assert_eq!(
            row["figures"],
            serde_json::to_value(&expected.figures).unwrap(),
            "{facility}"
        );
        assert!(expected.figures.iter().any(|f| f.item == "T5.01"));
        let problems = doc.problems();
        let open = problems
            .iter()
            .filter(|p| p.status != ProblemStatus::Rectified)
            .count();
        let overdue = problems
            .iter()
            .filter(|p| p.days_overdue(today).is_some())
            .count();
        assert_eq!(row["open_problems"], open, "{facility}");
        assert_eq!(row["overdue_problems"], overdue, "{facility}");
        assert_eq!(row["wave"], profile.wave().deadline_year(), "{facility}");
    }
    // How each indicator spreads across the county's facilities: the facilities that gave it, lowest, mean,
    // highest, as the typed documents say.
    for item in ["T5.01", "T5.09"] {
        let values: Vec<f64> = docs
            .iter()
            .filter_map(|(_, doc)| doc.metric(&ItemId::from(item)))
            .collect();
        let spread = body["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["item"] == item)
            .unwrap_or_else(|| panic!("no spread for {item}: {}", body["figures"]));
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        assert_eq!(spread["facilities"], values.len(), "{item}");
        assert_eq!(
            spread["min"],
            values.iter().copied().fold(f64::MAX, f64::min),
            "{item}"
        );
        assert_eq!(
            spread["max"],
            values.iter().copied().fold(f64::MIN, f64::max),
            "{item}"
        );
        assert_eq!(spread["mean"], (mean * 10.0).round() / 10.0, "{item}");
    }
    // A facility that never synced this year counts what applies to it from the template.
    let never = body["facilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["facility_id"] == "lijia")
        .unwrap();
    assert_eq!(never["answered"], 0);
    // A village clinic answers the short form: what its profile opens in the template, about twenty items.
    let lijia = app
        .store
        .fetch_facility(&FacilityId::from("lijia"))
        .await
        .unwrap()
        .unwrap()
        .profile();
    let short_form = Template::national().applicable_items(&lijia).len();
    assert_eq!(never["applicable"], short_form);
    assert!((18..=28).contains(&short_form), "{short_form}");
    assert_eq!(never["areas"].as_array().unwrap().len(), 9);
    app.stop().await;
}
both!(summary_rows_equal_the_typed_documents);

async fn coverage_overdue_and_exports_agree_with_the_overview(backend: Backend) {
    let (app, reviewer) = app_and_reviewer(backend).await;
    let token = reviewer.token();
    let body = json(&app, token, "/api/counties/demo-county/summary?year=2026").await;
    let rows = body["facilities"].as_array().unwrap();

    // Coverage: every facility counted once, in its wave; the demo has submitted and approved ones.
    let coverage = body["coverage"].as_array().unwrap();
    assert_eq!(coverage.len(), 3);
    let total: u64 = coverage.iter().map(|c| c["total"].as_u64().unwrap()).sum();
    assert_eq!(total as usize, rows.len());
    for c in coverage {
        let in_wave: Vec<_> = rows.iter().filter(|r| r["wave"] == c["wave"]).collect();
        assert_eq!(c["total"], in_wave.len());
        let approved = in_wave
            .iter()
            .filter(|r| r["review_state"] == "approved")
            .count();
        assert_eq!(c["approved"], approved);
    }
    assert!(coverage.iter().any(|c| c["approved"].as_u64().unwrap() > 0));

    // Overdue rectifications: as many as the rows count, most overdue first.
    let overdue = json(&app, token, "/api/counties/demo-county/overdue?year=2026").await;
    let overdue = overdue.as_array().unwrap();
    let counted: i64 = rows
        .iter()
        .map(|r| r["overdue_problems"].as_i64().unwrap())
        .sum();
    assert_eq!(overdue.len() as i64, counted);
    assert!(counted > 0);
    let days: Vec<i64> = overdue
        .iter()
        .map(|o| o["days_overdue"].as_i64().unwrap())
        .collect();
    assert!(days.windows(2).all(|w| w[0] >= w[1]) && days.iter().all(|d| *d > 0));

    // CSV: UTF-8 with a BOM, a Chinese file name, the same figures.
    let r = fetch(
        &app,
        token,
        "/api/counties/demo-county/export.csv?year=2026&table=facilities",
    )
    .await;
    assert_eq!(r.status(), 200);
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
    let encoded = disposition.split("UTF-8''").nth(1).unwrap();
    let name = percent_decode(encoded);
    assert_eq!(name, "清河县（示范）-2026年-机构.csv");
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "BOM first");
    let mut csv = csv::Reader::from_reader(&bytes[3..]);
    let headers = csv.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let records: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), rows.len());
    for record in &records {
        let row = rows
            .iter()
            .find(|r| r["facility_id"] == record[col("机构编码")])
            .unwrap();
        assert_eq!(record[col("机构名称")], row["facility_name"]);
        assert_eq!(
            record[col("已填项")].parse::<i64>().unwrap(),
            row["answered"].as_i64().unwrap()
        );
        assert_eq!(
            record[col("适用项")].parse::<i64>().unwrap(),
            row["applicable"].as_i64().unwrap()
        );
        assert_eq!(
            record[col("逾期问题")].parse::<i64>().unwrap(),
            row["overdue_problems"].as_i64().unwrap()
        );
    }
    let r = fetch(
        &app,
        token,
        "/api/counties/demo-county/export.csv?year=2026&table=nonsense",
    )
    .await;
    assert_eq!(r.status(), 400);

    // The workbook: three sheets that read back to the same figures.
    let r = fetch(
        &app,
        token,
        "/api/counties/demo-county/export.xlsx?year=2026",
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''")
    );
    let mut book = Xlsx::new(Cursor::new(r.bytes().await.unwrap().to_vec())).unwrap();
    assert_eq!(
        book.sheet_names(),
        [
            "机构",
            "各领域符合情况",
            "问题清单",
            "年度报告",
            "指标分布",
            "照片证据"
        ]
    );
    let sheet = book.worksheet_range("机构").unwrap();
    let mut lines = sheet.rows();
    let head: Vec<String> = lines
        .next()
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    let at = |name: &str| head.iter().position(|h| h == name).unwrap();
    let mut seen = 0;
    for line in lines {
        let id = line[at("机构编码")].to_string();
        let row = rows
            .iter()
            .find(|r| r["facility_id"] == id.as_str())
            .unwrap();
        let number = |c: &Data| c.as_i64().unwrap();
        assert_eq!(
            number(&line[at("已填项")]),
            row["answered"].as_i64().unwrap()
        );
        assert_eq!(
            number(&line[at("未整改问题")]),
            row["open_problems"].as_i64().unwrap()
        );
        // Its indicator figures, one column each: the rate as the summary row has it, blank where not given.
        let given = row["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["item"] == "T5.01")
            .map(|f| f["value"].as_f64().unwrap());
        assert_eq!(line[at("T5.01 处方合格率（%）")].as_f64(), given, "{id}");
        seen += 1;
    }
    assert_eq!(seen, rows.len());
    let areas = book.worksheet_range("各领域符合情况").unwrap();
    assert_eq!(areas.rows().count(), 1 + rows.len() * 9);
    // The demo facilities gave their figures: the spread sheet lists the overview's spread, item by item.
    let spread = book.worksheet_range("指标分布").unwrap();
    let figures = body["figures"].as_array().unwrap();
    assert!(figures.iter().any(|f| f["item"] == "T5.01"));
    assert_eq!(spread.rows().count(), 1 + figures.len());
    for (line, f) in spread.rows().skip(1).zip(figures) {
        assert_eq!(line[0].to_string(), f["item"].as_str().unwrap());
        assert_eq!(line[4].as_i64(), f["facilities"].as_i64());
        assert_eq!(line[6].as_f64(), f["mean"].as_f64());
    }
    let problems = book.worksheet_range("问题清单").unwrap();
    let open: i64 = rows
        .iter()
        .map(|r| r["open_problems"].as_i64().unwrap())
        .sum();
    let header: Vec<String> = problems
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let status = header.iter().position(|h| h == "整改状态").unwrap();
    let open_in_sheet = problems
        .rows()
        .skip(1)
        .filter(|l| l[status] != "已整改")
        .count();
    assert_eq!(open_in_sheet as i64, open);
    app.stop().await;
}
both!(coverage_overdue_and_exports_agree_with_the_overview);

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

async fn another_county_gets_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    for user in ["other-reviewer", "liuhe-head", "liuhe-member"] {
        let client = SyncClient::login(&app.base, user, PASSWORD).await.unwrap();
        for path in [
            "/api/counties/demo-county/summary",
            "/api/counties/demo-county/overdue",
            "/api/counties/demo-county/export.xlsx",
            "/api/counties/demo-county/export.csv?table=problems",
        ] {
            let r = fetch(&app, client.token(), path).await;
            assert_eq!(r.status(), 403, "{user} {path}");
            let body = r.text().await.unwrap();
            assert!(
                !body.contains("卫生"),
                "nothing of the county leaks: {body}"
            );
            assert!(!body.contains("filename"));
        }
    }
    let r = reqwest::get(format!("{}/api/counties/demo-county/export.xlsx", app.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    app.stop().await;
}
both!(another_county_gets_nothing);

async fn the_city_rollup_adds_up_the_county_rows(backend: Backend) {
    let (app, reviewer) = app_and_reviewer(backend).await;
    let body = json(
        &app,
        reviewer.token(),
        "/api/counties/demo-county/summary?year=2026",
    )
    .await;
    let rows = body["facilities"].as_array().unwrap();
    let city = SyncClient::login(&app.base, "city-reviewer", PASSWORD)
        .await
        .unwrap();
    let rollup = json(
        &app,
        city.token(),
        "/api/cities/demo-city/summary?year=2026",
    )
    .await;
    let counties = rollup["counties"].as_array().unwrap();
    let ids: Vec<&str> = counties
        .iter()
        .map(|c| c["county_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["demo-county", "demo-district"],
        "the city's two, not the neighbour"
    );
    let demo = &counties[0];
    let sum = |key: &str| rows.iter().map(|r| r[key].as_i64().unwrap()).sum::<i64>();
    assert_eq!(demo["facilities"].as_u64().unwrap() as usize, rows.len());
    assert_eq!(
        demo["open_problems"].as_i64().unwrap(),
        sum("open_problems")
    );
    assert_eq!(
        demo["overdue_problems"].as_i64().unwrap(),
        sum("overdue_problems")
    );
    // Coverage per wave is the county overview's, wave by wave.
    assert_eq!(demo["coverage"], body["coverage"]);
    // Each indicator's spread over the city covers the facilities of both counties that gave it.
    let district = json(
        &app,
        city.token(),
        "/api/counties/demo-district/summary?year=2026",
    )
    .await;
    let given = |summary: &Value, item: &str| -> Vec<f64> {
        summary["facilities"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| {
                r["figures"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|f| f["item"] == item)
                    .map(|f| f["value"].as_f64().unwrap())
            })
            .collect()
    };
    let spreads = rollup["figures"].as_array().unwrap();
    assert!(!spreads.is_empty(), "the demo facilities gave figures");
    for spread in spreads {
        let item = spread["item"].as_str().unwrap();
        let mut values = given(&body, item);
        values.extend(given(&district, item));
        assert_eq!(
            spread["facilities"].as_u64().unwrap() as usize,
            values.len(),
            "{item}"
        );
        let max = values.iter().copied().fold(f64::MIN, f64::max);
        assert_eq!(spread["max"].as_f64().unwrap(), max, "{item}");
    }
    // Compliance per area adds up the facilities' own counts.
    for area in demo["areas"].as_array().unwrap() {
        let id = area["area"].as_str().unwrap();
        let compliant: u64 = rows
            .iter()
            .flat_map(|r| r["areas"].as_array().unwrap())
            .filter(|a| a["area"] == id)
            .map(|a| a["compliant"].as_u64().unwrap())
            .sum();
        assert_eq!(area["compliant"].as_u64().unwrap(), compliant, "{id}");
    }
    assert_eq!(counties[1]["county_kind"], "district");
    assert_eq!(counties[1]["facilities"], 3);
    app.stop().await;
}
both!(the_city_rollup_adds_up_the_county_rows);

/// `ZHIGAI_TODAY` moves the server's calendar: across New Year the overview opens on the new year by
/// default, and the year choice comes from the data (the years with synced documents) plus this year.
async fn the_year_choice_comes_from_the_data_and_the_set_clock(backend: Backend) {
    let db = fresh_db(backend).await;
    {
        let store = zhigai_server::db::connect(&db.url).await.unwrap();
        seed(store.as_ref()).await;
    }
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_zhigai-server"));
    let (mut server, base) = zhigai_server::bench::start_server_process_with(
        exe,
        &db.url,
        &[("ZHIGAI_TODAY", "2027-01-02")],
    )
    .await
    .unwrap();
    let reviewer = SyncClient::login(&base, "reviewer", PASSWORD)
        .await
        .unwrap();
    let get = |path: &str| {
        reqwest::Client::new()
            .get(format!("{base}{path}"))
            .bearer_auth(reviewer.token())
            .send()
    };
    let summary: Value = get("/api/counties/demo-county/summary")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(summary["year"], 2027, "this year by the set clock");
    assert_eq!(summary["today"], "2027-01-02");
    assert_eq!(
        summary["years"],
        serde_json::json!([2027, 2026]),
        "2026 from the demo data"
    );
    let last_year: Value = get("/api/counties/demo-county/summary?year=2026")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(last_year["year"], 2026);
    server.start_kill().unwrap();
    server.wait().await.unwrap();
    db.remove().await;
}
both!(the_year_choice_comes_from_the_data_and_the_set_clock);

/// The 年度评估 report adds up to the overview: coverage, per-area compliance this year and last, common
/// problems from the facilities' answers, and the year's problems; the workbook carries it as a sheet.
async fn the_annual_report_adds_up_to_the_overview(backend: Backend) {
    let (app, reviewer) = app_and_reviewer(backend).await;
    let token = reviewer.token();
    let summary = json(&app, token, "/api/counties/demo-county/summary?year=2026").await;
    let report = json(&app, token, "/api/counties/demo-county/annual?year=2026").await;
    let rows = summary["facilities"].as_array().unwrap();
    assert_eq!(report["facilities"], rows.len());
    for (w, c) in report["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .zip(summary["coverage"].as_array().unwrap())
    {
        assert_eq!(&w["coverage"], c);
        assert_eq!(w["due"], c["wave"].as_i64().unwrap() <= 2026);
    }
    // Per area: the sums of the rows.
    for area in report["areas"].as_array().unwrap() {
        let (mut compliant, mut judged) = (0, 0);
        for r in rows {
            for a in r["areas"].as_array().unwrap() {
                if a["area"] == area["area"] {
                    compliant += a["compliant"].as_i64().unwrap();
                    judged +=
                        a["answered"].as_i64().unwrap() - a["not_applicable"].as_i64().unwrap();
                }
            }
        }
        assert_eq!(area["compliant"], compliant);
        assert_eq!(area["judged"], judged);
        assert_eq!(area["last_judged"], 0, "nothing before 2026");
    }
    // Common problems: from the stored inspections' answers, most frequent first.
    let mut weak: std::collections::HashMap<String, u32> = Default::default();
    for facility in rows.iter().map(|r| r["facility_id"].as_str().unwrap()) {
        if let Some(doc) = app.stored_inspection(facility, 2026).await {
            for (item, view) in doc.view().items {
                if matches!(view.status, Some(Status::Partial | Status::NonCompliant)) {
                    *weak.entry(item.to_string()).or_default() += 1;
                }
            }
        }
    }
    let common = report["common_items"].as_array().unwrap();
    assert!(!common.is_empty());
    for c in common {
        assert_eq!(c["facilities"], weak[c["item_id"].as_str().unwrap()]);
    }
    let counts: Vec<u64> = common
        .iter()
        .map(|c| c["facilities"].as_u64().unwrap())
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]));
    assert_eq!(counts[0], u64::from(*weak.values().max().unwrap()));
    // Problems: found = every problem row of the year; open + rectified = found.
    let problems = &report["problems"];
    let found: i64 = rows
        .iter()
        .map(|r| r["open_problems"].as_i64().unwrap())
        .sum::<i64>()
        + problems["rectified"].as_i64().unwrap();
    assert_eq!(problems["found"], found);
    assert_eq!(
        problems["open"].as_i64().unwrap() + problems["rectified"].as_i64().unwrap(),
        found
    );
    // 2027: last year's compliance is there for the facilities that began 2027.
    let next = json(&app, token, "/api/counties/demo-county/annual?year=2027").await;
    assert!(
        next["areas"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["last_judged"].as_i64().unwrap() > 0)
    );
    assert!(next["problems"]["carried"].as_i64().unwrap() > 0);
    // The workbook has the report as a sheet.
    let r = fetch(
        &app,
        token,
        "/api/counties/demo-county/export.xlsx?year=2026",
    )
    .await;
    let bytes = r.bytes().await.unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let sheet = book.worksheet_range("年度报告").unwrap();
    assert!(sheet.rows().any(|l| l[1] == "本年发现" && l[2] == Data::Float(problems["found"].as_f64().unwrap())));
    // Another county's reviewer gets nothing.
    let other = SyncClient::login(&app.base, "other-reviewer", PASSWORD)
        .await
        .unwrap();
    assert_eq!(
        fetch(&app, other.token(), "/api/counties/demo-county/annual")
            .await
            .status(),
        403
    );
    app.stop().await;
}
both!(the_annual_report_adds_up_to_the_overview);

// The group commit writes the rows of several documents with one statement per kind of row, and after a
// previous write only the figures that changed: what the county reads is what each document says, write
// after write (a figure set, changed, cleared; a document with rows alone; one document twice in a batch).
async fn group_commit_rows_follow_each_document(backend: Backend) {
    use zhigai_server::db::DocWrite;
    use zhigai_server::docs::Stored;
    let app = spawn_app(backend).await;
    let facility = app.facility("other-clinic").await;
    let scope = zhigai_shared::access::Scope::County("other-county".into());
    let stamp = Stamp::new(Author::new("u-other-head", "邻县院长"), Timestamp(1_000));
    let (rate, count) = (ItemId::from("T5.01"), ItemId::from("T5.09"));
    let write = |doc: &mut zhigai_shared::Inspection, year: i64, previous, chunk: bool| DocWrite {
        doc_id: inspection_id("other-clinic", year as u16).to_string(),
        kind: "inspection".into(),
        facility_id: "other-clinic".into(),
        year,
        chunk: if chunk {
            doc.save_incremental()
        } else {
            Vec::new()
        },
        derived: doc.derived(&facility),
        previous,
        now: 2_000,
        compact: None,
    };
    let spread = |year: i64| {
        let (store, scope) = (app.store.clone(), scope.clone());
        async move {
            let mut figures: Vec<(String, f64, f64)> = store
                .fetch_figure_spread(&scope, year)
                .await
                .unwrap()
                .into_iter()
                .map(|f| {
                    assert_eq!(f.facilities, 1, "{}", f.item);
                    (f.item, f.min, f.max)
                })
                .collect();
            figures.sort_by(|a, b| a.0.cmp(&b.0));
            figures
        }
    };

    let mut this_year = genesis_inspection("other-clinic", 2026);
    let mut next_year = genesis_inspection("other-clinic", 2027);
    this_year.set_metric(&rate, Some(80.0), &stamp).unwrap();
    this_year.set_metric(&count, Some(3.0), &stamp).unwrap();
    this_year
        .set_status(&rate, Some(Status::Compliant), &stamp)
        .unwrap();
    next_year.set_metric(&rate, Some(50.0), &stamp).unwrap();
    let first = [
        write(&mut this_year, 2026, None, true),
        write(&mut next_year, 2027, None, true),
    ];
    let ids = chunk_ids(&app, &first.iter().collect::<Vec<_>>()).await;
    assert!(
        ids[0].is_some() && ids[1].is_some() && ids[0] != ids[1],
        "{ids:?}"
    );
    assert_eq!(
        spread(2026).await,
        [
            ("T5.01".to_owned(), 80.0, 80.0),
            ("T5.09".to_owned(), 3.0, 3.0)
        ]
    );
    assert_eq!(spread(2027).await, [("T5.01".to_owned(), 50.0, 50.0)]);

    // One figure changed and one cleared in 2026; one set in 2027, whose write carries rows alone.
    this_year.set_metric(&rate, Some(90.0), &stamp).unwrap();
    this_year.set_metric(&count, None, &stamp).unwrap();
    next_year.set_metric(&count, Some(7.0), &stamp).unwrap();
    let [a, b] = first;
    let second = [
        write(&mut this_year, 2026, Some(a.derived), true),
        write(&mut next_year, 2027, Some(b.derived), false),
    ];
    let ids = chunk_ids(&app, &second.iter().collect::<Vec<_>>()).await;
    assert!(ids[0].is_some() && ids[1].is_none(), "{ids:?}");
    assert_eq!(spread(2026).await, [("T5.01".to_owned(), 90.0, 90.0)]);
    assert_eq!(
        spread(2027).await,
        [
            ("T5.01".to_owned(), 50.0, 50.0),
            ("T5.09".to_owned(), 7.0, 7.0)
        ]
    );
    let rows = app
        .store
        .fetch_summary(&scope, 2026, "2026-06-01")
        .await
        .unwrap();
    let row = rows.iter().find(|r| r.year == 2026).unwrap();
    let zhigai_server::db::DerivedRows::Inspection(now) = this_year.derived(&facility) else {
        panic!("an inspection's rows")
    };
    assert_eq!(
        (row.answered, row.applicable),
        (
            i64::from(now.summary.answered),
            i64::from(now.summary.applicable)
        )
    );
    assert_eq!(row.answered, 1, "{:?}", now.summary);
    assert_eq!(row.figures, now.summary.figures);

    // The same document twice in one batch: both chunks stored, the later rows win.
    this_year.set_metric(&rate, Some(95.0), &stamp).unwrap();
    let [c, _] = second;
    let earlier = write(&mut this_year, 2026, Some(c.derived), true);
    this_year.set_metric(&rate, Some(97.0), &stamp).unwrap();
    let later = write(&mut this_year, 2026, Some(earlier.derived.clone()), true);
    let ids = chunk_ids(&app, &[&earlier, &later]).await;
    assert!(
        ids[0].is_some() && ids[1].is_some() && ids[0] != ids[1],
        "{ids:?}"
    );
    assert_eq!(spread(2026).await, [("T5.01".to_owned(), 97.0, 97.0)]);
    let stored = app.stored_inspection("other-clinic", 2026).await.unwrap();
    assert_eq!(stored.metric(&rate), Some(97.0));
    assert_eq!(stored.metric(&count), None);

    // A write that carries a compaction: the snapshot replaces the chunks it names, in the same
    // transaction; the write's own chunk stays. One that names a stale generation changes nothing of it.
    let id = inspection_id("other-clinic", 2026);
    let before = app.stored_parts(id).await;
    this_year.set_metric(&rate, Some(99.0), &stamp).unwrap();
    let mut compacting = write(&mut this_year, 2026, Some(later.derived), true);
    compacting.compact = Some(zhigai_server::db::Compaction {
        snapshot: this_year.save(),
        merged: before.chunk_ids.clone(),
        generation: before.generation,
    });
    let stored = app.store.append_documents(&[&compacting]).await.unwrap();
    assert_eq!(stored[0].generation, Some(before.generation + 1));
    let after = app.stored_parts(id).await;
    assert_eq!(after.chunk_ids, vec![stored[0].chunk.unwrap()]);
    assert_eq!(after.generation, before.generation + 1);
    let loaded = app.stored_inspection("other-clinic", 2026).await.unwrap();
    assert_eq!(loaded.metric(&rate), Some(99.0));
    assert_eq!(loaded.heads(), this_year.heads());
    this_year.set_metric(&count, Some(1.0), &stamp).unwrap();
    let mut stale = write(&mut this_year, 2026, Some(compacting.derived), true);
    stale.compact = Some(zhigai_server::db::Compaction {
        snapshot: Vec::new(),
        merged: after.chunk_ids.clone(),
        generation: before.generation,
    });
    let stored = app.store.append_documents(&[&stale]).await.unwrap();
    assert_eq!(stored[0].generation, None);
    let kept = app.stored_parts(id).await;
    assert_eq!(kept.generation, after.generation);
    assert_eq!(
        kept.chunk_ids.len(),
        2,
        "the stale compaction deleted chunks"
    );
    assert_eq!(
        app.stored_inspection("other-clinic", 2026)
            .await
            .unwrap()
            .metric(&count),
        Some(1.0)
    );
    app.stop().await;
}
both!(group_commit_rows_follow_each_document);

/// The chunk ids a group commit of `writes` stored.
async fn chunk_ids(app: &TestApp, writes: &[&zhigai_server::db::DocWrite]) -> Vec<Option<i64>> {
    let stored = app.store.append_documents(writes).await.unwrap();
    assert!(stored.iter().all(|s| s.generation.is_none()));
    stored.iter().map(|s| s.chunk).collect()
}
