//! The county's exports. Each export is a [`Table`] built once from the summary and problem rows, then
//! written as a sheet of the Excel workbook or as CSV (UTF-8 with a BOM, so Excel on Chinese Windows reads
//! it).

use crate::db::{CountyProblem, PhotoCount};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use std::borrow::Cow;
use std::collections::BTreeMap;
use zhigai_shared::Template;
use zhigai_shared::api::{AnnualReport, CountySummary, FigureSpread, RollupSummary, SummaryRow};
use zhigai_shared::doc::Date;
use zhigai_shared::photo::{PhotoPhase, PhotoSubject};
use zhigai_shared::template::{Direction, Metric, ResponseKind};

/// One cell.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
    /// Nothing.
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Number(n as f64)
    }
}

impl From<u32> for Cell {
    fn from(n: u32) -> Self {
        Cell::Number(f64::from(n))
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Empty, Into::into)
    }
}

/// Fixed column headings.
fn heads(names: &[&'static str]) -> Vec<Cow<'static, str>> {
    names.iter().map(|n| Cow::Borrowed(*n)).collect()
}

/// A titled table.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// The sheet name.
    pub title: &'static str,
    /// Column headings.
    pub headers: Vec<Cow<'static, str>>,
    /// The rows.
    pub rows: Vec<Vec<Cell>>,
}

fn community_name(data: &CountySummary, row: &SummaryRow) -> String {
    row.community_id
        .as_ref()
        .and_then(|id| data.communities.iter().find(|c| &c.id == id))
        .map(|c| c.name.clone())
        .unwrap_or_default()
}

/// Per cent with one decimal, or empty when there is nothing to divide by.
fn percent(part: i64, whole: i64) -> Cell {
    if whole <= 0 {
        Cell::Empty
    } else {
        Cell::Number((part as f64 * 1000.0 / whole as f64).round() / 10.0)
    }
}

/// The indicator items of the checklist, in its order, with their column heading (`T5.01 处方合格率 %`).
fn indicators(template: &Template) -> Vec<(&zhigai_shared::template::Item, &Metric)> {
    template
        .items()
        .filter_map(|item| match &item.response {
            ResponseKind::StatusWithNumber { metric } => Some((item, metric)),
            ResponseKind::Status => None,
        })
        .collect()
}

/// One row per facility, its indicator figures last.
pub fn facilities_table(data: &CountySummary) -> Table {
    let indicators = indicators(Template::current());
    let rows = data
        .facilities
        .iter()
        .map(|r| {
            let figures = indicators.iter().map(|(item, _)| {
                r.figures
                    .iter()
                    .find(|f| f.item == item.id.as_str())
                    .map_or(Cell::Empty, |f| Cell::Number(f.value))
            });
            let sum = |f: fn(&zhigai_shared::summary::AreaCounts) -> u32| -> i64 {
                r.areas.iter().map(|a| i64::from(f(a))).sum()
            };
            vec![
                community_name(data, r).into(),
                r.facility_id.to_string().into(),
                r.facility_name.clone().into(),
                r.facility_type.name_zh().into(),
                i64::from(r.wave).into(),
                r.applicable.into(),
                r.answered.into(),
                percent(r.answered, r.applicable),
                sum(|a| a.compliant).into(),
                sum(|a| a.partial).into(),
                sum(|a| a.non_compliant).into(),
                sum(|a| a.not_applicable).into(),
                r.open_problems.into(),
                r.overdue_problems.into(),
                r.carried_problems.into(),
                r.carried_overdue.into(),
                (if r.submitted { "是" } else { "否" }).into(),
                r.review_state.label_zh().into(),
                // The year before, blank where the facility had synced nothing then.
                r.last_year
                    .as_ref()
                    .map_or(Cell::Empty, |l| percent(l.answered, l.applicable)),
                r.last_year
                    .as_ref()
                    .map(|l| {
                        l.areas
                            .iter()
                            .map(|a| i64::from(a.non_compliant))
                            .sum::<i64>()
                    })
                    .into(),
                r.last_year.as_ref().map(|l| l.open_problems).into(),
            ]
            .into_iter()
            .chain(figures)
            .collect()
        })
        .collect();
    let mut headers = heads(&[
        "医共体",
        "机构编码",
        "机构名称",
        "机构类型",
        "覆盖批次（年底）",
        "适用项",
        "已填项",
        "完成率%",
        "符合",
        "部分符合",
        "不符合",
        "不适用",
        "未整改问题",
        "逾期问题",
        "上年遗留问题",
        "上年遗留逾期",
        "已提交",
        "审核状态",
        "上年完成率%",
        "上年不符合",
        "上年未整改问题",
    ]);
    headers.extend(
        indicators.iter().map(|(item, metric)| {
            Cow::Owned(format!("{} {}（{}）", item.id, metric.zh, metric.unit))
        }),
    );
    Table {
        title: "机构",
        headers,
        rows,
    }
}

/// How each indicator spreads across the facilities that gave it: facilities, lowest, mean, highest, and
/// which way is better.
pub fn spread_table(spread: &[FigureSpread]) -> Table {
    let template = Template::current();
    let rows = indicators(template)
        .into_iter()
        .filter_map(|(item, metric)| {
            let s = spread.iter().find(|s| s.item == item.id.as_str())?;
            let better = match metric.direction {
                Direction::Higher => "越高越好",
                Direction::Lower => "越低越好",
            };
            Some(vec![
                item.id.to_string().into(),
                metric.zh.clone().into(),
                metric.unit.clone().into(),
                better.into(),
                s.facilities.into(),
                Cell::Number(s.min),
                Cell::Number(s.mean),
                Cell::Number(s.max),
            ])
        })
        .collect();
    Table {
        title: "指标分布",
        headers: heads(&[
            "条目",
            "指标",
            "单位",
            "方向",
            "机构数",
            "最低",
            "平均",
            "最高",
        ]),
        rows,
    }
}

/// One row per facility and area: the compliance heatmap as numbers.
pub fn areas_table(data: &CountySummary) -> Table {
    // Area titles: areas are stable across checklist versions (the plan's nine work tasks).
    let template = Template::current();
    let mut rows = Vec::new();
    for r in &data.facilities {
        for a in &r.areas {
            let title = template
                .areas
                .iter()
                .find(|x| x.id.as_str() == a.area)
                .map(|x| format!("{} {}", x.number_zh, x.title_zh))
                .unwrap_or_else(|| a.area.clone());
            let judged = i64::from(a.answered) - i64::from(a.not_applicable);
            let before = r
                .last_year
                .as_ref()
                .and_then(|l| l.areas.iter().find(|b| b.area == a.area));
            rows.push(vec![
                r.facility_id.to_string().into(),
                r.facility_name.clone().into(),
                a.area.clone().into(),
                title.into(),
                a.applicable.into(),
                a.answered.into(),
                a.compliant.into(),
                a.partial.into(),
                a.non_compliant.into(),
                a.not_applicable.into(),
                percent(i64::from(a.compliant), judged),
                before.map_or(Cell::Empty, |b| {
                    percent(
                        i64::from(b.compliant),
                        i64::from(b.answered) - i64::from(b.not_applicable),
                    )
                }),
            ]);
        }
    }
    Table {
        title: "各领域符合情况",
        headers: heads(&[
            "机构编码",
            "机构名称",
            "领域",
            "工作任务",
            "适用项",
            "已填项",
            "符合",
            "部分符合",
            "不符合",
            "不适用",
            "符合率%",
            "上年符合率%",
        ]),
        rows,
    }
}

/// The county's 年度评估 report as one sheet: coverage against target, compliance per area this year and
/// last, common problems, rectification.
pub fn annual_table(report: &AnnualReport) -> Table {
    let template = Template::current();
    let pct = |part: u32, whole: u32| percent(i64::from(part), i64::from(whole));
    let mut rows: Vec<Vec<Cell>> = vec![vec![
        "机构".into(),
        "全县机构数".into(),
        report.facilities.into(),
        Cell::Empty,
    ]];
    for w in &report.coverage {
        let c = &w.coverage;
        let target = if w.due {
            "本年到期：全部通过"
        } else {
            "未到期"
        };
        rows.push(vec![
            "覆盖进度".into(),
            format!("到{}年底批次（{}家）已提交", c.wave, c.total).into(),
            c.submitted.into(),
            target.into(),
        ]);
        rows.push(vec![
            "覆盖进度".into(),
            format!("到{}年底批次（{}家）已通过", c.wave, c.total).into(),
            c.approved.into(),
            pct(c.approved, c.total),
        ]);
    }
    for a in &report.areas {
        let title = template
            .areas
            .iter()
            .find(|x| x.id.as_str() == a.area)
            .map_or_else(
                || a.area.clone(),
                |x| format!("{} {}", x.number_zh, x.title_zh),
            );
        rows.push(vec![
            "各领域符合率%（本年 / 上年）".into(),
            title.into(),
            pct(a.compliant, a.judged),
            if a.last_judged > 0 {
                pct(a.last_compliant, a.last_judged)
            } else {
                Cell::Empty
            },
        ]);
    }
    for item in &report.common_items {
        let text = template
            .items()
            .find(|i| i.id.as_str() == item.item_id)
            .map_or_else(String::new, |i| i.text_zh.clone());
        rows.push(vec![
            "共性问题（部分符合/不符合的机构数）".into(),
            format!("{} {text}", item.item_id).into(),
            item.facilities.into(),
            Cell::Empty,
        ]);
    }
    let t = &report.problems;
    for (label, n) in [
        ("本年发现", t.found),
        ("已整改", t.rectified),
        ("已核实", t.verified),
        ("未整改", t.open),
        ("逾期未整改", t.overdue),
        ("上年遗留（未整改或未核实）", t.carried),
    ] {
        rows.push(vec![
            "问题整改".into(),
            label.into(),
            n.into(),
            pct(n, t.found),
        ]);
    }
    Table {
        title: "年度报告",
        headers: heads(&["部分", "内容", "数值", "上年 / 目标 / 占比%"]),
        rows,
    }
}

/// Photo counts by facility and subject (`PhotoSubject::code`).
#[derive(Clone, Debug, Default)]
pub struct PhotoTally(BTreeMap<(String, String), i64>);

impl PhotoTally {
    /// The tally of `counts`.
    pub fn new(counts: &[PhotoCount]) -> Self {
        Self(
            counts
                .iter()
                .map(|c| ((c.facility_id.to_string(), c.subject.clone()), c.count))
                .collect(),
        )
    }

    fn of(&self, facility: &str, subject: &PhotoSubject) -> i64 {
        self.0
            .get(&(facility.to_owned(), subject.code()))
            .copied()
            .unwrap_or(0)
    }
}

/// One row per problem.
pub fn problems_table(problems: &[CountyProblem], photos: &PhotoTally, today: Date) -> Table {
    let rows = problems
        .iter()
        .map(|p| {
            let count = |phase| {
                photos.of(
                    p.facility_id.as_str(),
                    &PhotoSubject::Problem {
                        problem: p.problem.problem_id.clone(),
                        phase,
                    },
                )
            };
            vec![
                p.facility_id.to_string().into(),
                p.facility_name.clone().into(),
                p.year.into(),
                p.problem.item_id.as_ref().map(ToString::to_string).into(),
                p.problem.description.clone().into(),
                p.problem.measure.clone().into(),
                p.problem.owner_name.clone().into(),
                p.problem.deadline.map(|d| d.to_string()).into(),
                p.problem.status.label_zh().into(),
                p.problem.days_overdue(today).into(),
                count(PhotoPhase::Before).into(),
                count(PhotoPhase::After).into(),
            ]
        })
        .collect();
    Table {
        title: "问题清单",
        headers: heads(&[
            "机构编码",
            "机构名称",
            "发现年度",
            "检查项",
            "问题描述",
            "整改措施",
            "责任人",
            "整改期限",
            "整改状态",
            "逾期天数",
            "整改前照片",
            "整改后照片",
        ]),
        rows,
    }
}

/// One row per facility and item or problem phase with photos: how much evidence each holds.
pub fn photos_table(
    data: &CountySummary,
    problems: &[CountyProblem],
    photos: &PhotoTally,
) -> Table {
    let names: BTreeMap<&str, &str> = data
        .facilities
        .iter()
        .map(|r| (r.facility_id.as_str(), r.facility_name.as_str()))
        .collect();
    let described: BTreeMap<(&str, &str), &str> = problems
        .iter()
        .map(|p| {
            (
                (p.facility_id.as_str(), p.problem.problem_id.as_str()),
                p.problem.description.as_str(),
            )
        })
        .collect();
    let rows = photos
        .0
        .iter()
        .filter_map(|((facility, code), count)| {
            let subject = PhotoSubject::parse(code)?;
            let (kind, what, phase) = match &subject {
                PhotoSubject::Item { item } => ("检查项", item.to_string(), ""),
                PhotoSubject::Problem { problem, phase } => (
                    "问题",
                    described
                        .get(&(facility.as_str(), problem.as_str()))
                        .map_or_else(|| problem.to_string(), |d| (*d).to_owned()),
                    phase.label_zh(),
                ),
            };
            Some(vec![
                facility.clone().into(),
                names.get(facility.as_str()).copied().unwrap_or("").into(),
                kind.into(),
                what.into(),
                phase.into(),
                (*count).into(),
            ])
        })
        .collect();
    Table {
        title: "照片证据",
        headers: heads(&[
            "机构编码",
            "机构名称",
            "对象",
            "检查项或问题",
            "阶段",
            "照片数",
        ]),
        rows,
    }
}

/// The county workbook: facilities, compliance per area, problems.
///
/// # Errors
/// The workbook could not be written.
pub fn workbook(
    data: &CountySummary,
    problems: &[CountyProblem],
    photos: &PhotoTally,
    annual: &AnnualReport,
) -> Result<Vec<u8>, XlsxError> {
    let today: Date = data
        .today
        .parse()
        .unwrap_or_else(|_| crate::clock::today_cst());
    workbook_of(&[
        facilities_table(data),
        areas_table(data),
        problems_table(problems, photos, today),
        annual_table(annual),
        spread_table(&data.figures),
        photos_table(data, problems, photos),
    ])
}

/// A city's or province's workbook: its counties, and the common problems.
///
/// # Errors
/// The workbook could not be written.
pub fn rollup_workbook(data: &RollupSummary) -> Result<Vec<u8>, XlsxError> {
    workbook_of(&[
        counties_table(data),
        common_table(data),
        spread_table(&data.figures),
    ])
}

/// One row per county or district of a city or province: facilities, coverage per wave, compliance per
/// area, open and overdue problems.
pub fn counties_table(data: &RollupSummary) -> Table {
    let areas: Vec<String> = data.areas.iter().map(|a| a.area.clone()).collect();
    let mut headers = heads(&["市", "县（区）", "机构数"]);
    for wave in [2026, 2027, 2028] {
        headers.push(format!("{wave}批次机构").into());
        headers.push(format!("{wave}批次已提交").into());
        headers.push(format!("{wave}批次已通过").into());
    }
    let template = Template::current();
    for area in &areas {
        let name = template
            .areas
            .iter()
            .find(|a| a.id.as_str() == area)
            .map_or("", |a| a.title_zh.as_str());
        headers.push(format!("{area} {name} 符合率%").into());
    }
    headers.push("未整改问题".into());
    headers.push("逾期问题".into());
    let rows = data
        .counties
        .iter()
        .map(|c| {
            let mut row: Vec<Cell> = vec![
                c.city_name.clone().into(),
                c.county_name.clone().into(),
                c.facilities.into(),
            ];
            for wave in [2026, 2027, 2028] {
                let w = c.coverage.iter().find(|w| w.wave == wave);
                row.push(w.map(|w| w.total).into());
                row.push(w.map(|w| w.submitted).into());
                row.push(w.map(|w| w.approved).into());
            }
            for area in &areas {
                let a = c.areas.iter().find(|a| &a.area == area);
                row.push(a.map_or(Cell::Empty, |a| {
                    percent(i64::from(a.compliant), i64::from(a.judged))
                }));
            }
            row.push(c.open_problems.into());
            row.push(c.overdue_problems.into());
            row
        })
        .collect();
    Table {
        title: "各县区汇总",
        headers,
        rows,
    }
}

/// The common problems (共性问题): items by how many facilities answered them 部分符合 or 不符合.
pub fn common_table(data: &RollupSummary) -> Table {
    let template = Template::current();
    Table {
        title: "共性问题",
        headers: heads(&["条目", "内容", "机构数"]),
        rows: data
            .common_items
            .iter()
            .map(|c| {
                let text = template
                    .item(&zhigai_shared::ItemId::new(c.item_id.clone()))
                    .map(|i| i.text_zh.clone());
                vec![c.item_id.clone().into(), text.into(), c.facilities.into()]
            })
            .collect(),
    }
}

/// Tables as the sheets of one workbook.
fn workbook_of(tables: &[Table]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let quoted = Format::new().set_quote_prefix();
    for table in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(table.title)?;
        for (col, heading) in table.headers.iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, heading.as_ref(), &bold)?;
            sheet.set_column_width(col as u16, 12)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        for (i, row) in table.rows.iter().enumerate() {
            let r = i as u32 + 1;
            for (col, cell) in row.iter().enumerate() {
                match cell {
                    // Always a string cell, never a formula; a leading = + - @ is shown as typed (Excel's
                    // quote prefix) and a text past Excel's cell limit is cut with a marker.
                    Cell::Text(t) if starts_formula(t) => {
                        sheet.write_string_with_format(r, col as u16, fit_cell(t), &quoted)?;
                    }
                    Cell::Text(t) => {
                        sheet.write_string(r, col as u16, fit_cell(t))?;
                    }
                    Cell::Number(n) => {
                        sheet.write_number(r, col as u16, *n)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
    }
    book.save_to_buffer()
}

/// `table` as CSV, UTF-8 with a byte-order mark.
///
/// # Errors
/// Only if writing to memory fails.
pub fn csv(table: &Table) -> Result<Vec<u8>, csv::Error> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        // Headings name indicators from the checklist, which a province's version authors: neutralised too.
        writer.write_record(table.headers.iter().map(|h| neutralise(h)))?;
        for row in &table.rows {
            writer.write_record(row.iter().map(|c| match c {
                Cell::Text(t) => neutralise(t),
                Cell::Number(n) => n.to_string(),
                Cell::Empty => String::new(),
            }))?;
        }
        writer.flush()?;
    }
    Ok(out)
}

/// Excel's limit on the characters of one cell.
const EXCEL_CELL_CHARS: usize = 32_767;
/// What a cut text ends with.
const CUT_MARKER: &str = "…（已截断 truncated）";

/// Whether a spreadsheet would read `text` as a formula (or a DDE command).
fn starts_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// A CSV cell that no spreadsheet runs: a text that would start a formula gets a leading apostrophe.
fn neutralise(text: &str) -> String {
    if starts_formula(text) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// `text` cut to fit one Excel cell, with a marker where it was cut.
fn fit_cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().count() <= EXCEL_CELL_CHARS {
        return std::borrow::Cow::Borrowed(text);
    }
    let keep = EXCEL_CELL_CHARS - CUT_MARKER.chars().count();
    let cut = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
    std::borrow::Cow::Owned(format!("{}{CUT_MARKER}", &text[..cut]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_would_start_a_formula_are_neutralised() {
        for evil in ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx"] {
            assert!(neutralise(evil).starts_with('\''), "{evil}");
        }
        assert_eq!(neutralise("正常文本"), "正常文本");
        // A heading from a checklist's words is neutralised like a cell.
        let table = Table {
            title: "t",
            headers: vec!["=1+1".into(), "机构".into()],
            rows: vec![vec![Cell::Text("@x".into()), Cell::Number(2.0)]],
        };
        let text = String::from_utf8(csv(&table).unwrap()).unwrap();
        assert_eq!(text, "\u{feff}'=1+1,机构\n'@x,2\n");
    }

    #[test]
    fn over_long_texts_fit_one_excel_cell_with_a_marker() {
        let long = "问".repeat(40_000);
        let fitted = fit_cell(&long);
        assert_eq!(fitted.chars().count(), EXCEL_CELL_CHARS);
        assert!(fitted.ends_with(CUT_MARKER));
        assert_eq!(fit_cell("短"), "短");
    }
}
