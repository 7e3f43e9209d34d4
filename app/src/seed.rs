//! Demo data: the real Xiamen division tree, one account per role and a few hundred synthetic retirees with
//! valid resident IDs. Seeding is idempotent: what exists is left alone.

use std::collections::HashSet;
use std::io::Write;

use domain::{Category, ManagementLevel, Relation, Role, SpecialGroup};
use persistence::accounts::{self, KIND_SERVICE, KIND_USER, NewAccount};
use persistence::audit::{self, NewAuditEntry};
use persistence::retirees::{self, DependentData, GroupFlag, RetireeData};
use persistence::{DbConnection, jurisdictions, write_tx};

use crate::accounts::secrets::hash_secret;
use crate::error::AppError;

/// Xiamen: city, 6 districts, 54 streets, 555 communities (NBS 2023).
pub const XIAMEN_CSV: &str = include_str!("../../resources/divisions/xiamen-3502.csv");
/// Changsha (NBS 2023).
pub const CHANGSHA_CSV: &str = include_str!("../../resources/divisions/changsha-4301.csv");
/// Kunming city node and Jinning district (NBS 2023).
pub const JINNING_CSV: &str = include_str!("../../resources/divisions/kunming-jinning-530115.csv");

/// Password of every demo user.
pub const DEMO_PASSWORD: &str = "demo-password-2026";
/// Client id and secret of the demo integration account.
pub const DEMO_CLIENT: (&str, &str) = ("demo-integration", "demo-integration-secret-2026");
/// Synthetic retirees created.
pub const DEMO_RETIREES: usize = 300;

/// Demo users: login, role, jurisdiction, display name.
pub const DEMO_USERS: [(&str, Role, &str, &str); 10] = [
    ("admin", Role::Admin, "3502", "系统管理员"),
    ("city", Role::CityCentre, "3502", "厦门市退休人员服务中心"),
    ("siming", Role::DistrictCentre, "350203", "思明区退休人员服务中心"),
    ("xiagang", Role::Street, "350203001", "厦港街道服务中心"),
    ("hongshan", Role::Community, "350203001001", "鸿山社区服务站"),
    ("leader", Role::GroupLeader, "350203001001", "鸿山社区自管小组组长"),
    ("archivist", Role::Archivist, "3502", "市档案管理员"),
    ("finance", Role::Finance, "3502", "市中心财务"),
    ("auditor", Role::Auditor, "3502", "审计员"),
    ("importer", Role::Importer, "3502", "数据导入员"),
];

/// What seeding did.
pub struct DemoInfo {
    /// Nodes imported (0 when the tree was there).
    pub nodes: u64,
    /// Retirees created (0 when there were some).
    pub retirees: usize,
}

impl DemoInfo {
    /// Instructions printed after seeding.
    pub fn how_to_log_in(&self, bind: &str) -> String {
        let mut out = if self.nodes == 0 && self.retirees == 0 {
            "Demo data already present.\n".to_owned()
        } else {
            format!("Demo data ready: {} division nodes imported, {} retirees created.\n", self.nodes, self.retirees)
        };
        out.push_str(&format!("Demo users (password '{DEMO_PASSWORD}'):\n"));
        for (login, role, code, _) in DEMO_USERS {
            out.push_str(&format!("  {login:<10} {:<16} {code}\n", role.as_str()));
        }
        out.push_str(&format!(
            "  service account {} / {} (integration, 3502)\n\
             Get a token:\n  curl -s -X POST http://{bind}/api/v1/auth/token -H 'Content-Type: application/json' \\\n    \
             -d '{{\"grant_type\":\"password\",\"username\":\"city\",\"password\":\"{DEMO_PASSWORD}\"}}'\n\
             API docs: http://{bind}/docs/",
            DEMO_CLIENT.0, DEMO_CLIENT.1
        ));
        out
    }
}

/// The name of a code in the bundled division files, if there.
pub fn bundled_name(code: &str) -> Option<String> {
    [XIAMEN_CSV, CHANGSHA_CSV, JINNING_CSV].iter().flat_map(|csv| csv.lines()).find_map(|line| {
        let mut parts = line.split(',');
        (parts.next() == Some(code)).then(|| parts.next().map(str::to_owned)).flatten()
    })
}

/// A deterministic generator, so every demo database holds the same people.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

/// A valid resident ID for an area, birth date and sequence (GB 11643).
pub fn make_id_number(area: &str, birth: time::Date, sequence: u16) -> String {
    let first = format!("{area}{:04}{:02}{:02}{:03}", birth.year(), birth.month() as u8, birth.day(), sequence % 1000);
    let check = domain::id_number::check_char(first.as_bytes());
    format!("{first}{check}")
}

/// Loads the demo data where missing.
pub fn seed_demo(conn: &mut DbConnection, today: time::Date) -> Result<DemoInfo, AppError> {
    let mut info = DemoInfo { nodes: 0, retirees: 0 };
    if jurisdictions::find(conn, "3502").is_err() {
        let dir = tempfile::tempdir().map_err(AppError::internal)?;
        let path = dir.path().join("xiamen.csv");
        std::fs::File::create(&path)
            .and_then(|mut f| f.write_all(XIAMEN_CSV.as_bytes()))
            .map_err(AppError::internal)?;
        let report = crate::imports::divisions::import_file(conn, &path, crate::imports::Mode::Atomic, "seed-demo")?;
        info.nodes = report.created;
    }
    if accounts::find_by_login(conn, "admin")?.is_none() {
        let hash = hash_secret(DEMO_PASSWORD)?;
        let client_hash = hash_secret(DEMO_CLIENT.1)?;
        write_tx(conn, |conn| -> Result<(), AppError> {
            for (login, role, code, name) in DEMO_USERS {
                accounts::create(
                    conn,
                    &NewAccount {
                        kind: KIND_USER.into(),
                        login: login.into(),
                        secret_hash: hash.clone(),
                        display_name: name.into(),
                        role: role.as_str().into(),
                        jurisdiction_code: code.into(),
                    },
                )?;
            }
            accounts::create(
                conn,
                &NewAccount {
                    kind: KIND_SERVICE.into(),
                    login: DEMO_CLIENT.0.into(),
                    secret_hash: client_hash,
                    display_name: "市大数据平台（演示）".into(),
                    role: Role::Integration.as_str().into(),
                    jurisdiction_code: "3502".into(),
                },
            )?;
            Ok(())
        })?;
    }
    if persistence::policies::of_node(conn, "3502")?.is_empty()
        && let Some(preset) = domain::policy::presets::by_name("xiamen-2025")
    {
        let from = time::Date::from_calendar_date(2025, time::Month::February, 26).map_err(AppError::internal)?;
        persistence::policies::create(
            conn,
            &persistence::policies::NewPolicyVersion {
                jurisdiction_code: "3502".into(),
                version: 1,
                valid_from: from,
                valid_to: None,
                preset: Some("xiamen-2025".into()),
                parameters: serde_json::to_string(&preset).map_err(AppError::internal)?,
                note: Some("厦府规〔2025〕2号".into()),
                created_by: "seed-demo".into(),
                extends_beyond_term: false,
            },
        )?;
    }
    if retirees::count(conn)? == 0 {
        info.retirees = seed_retirees(conn, today)?;
    }
    Ok(info)
}

const SURNAMES: [&str; 16] =
    ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "林", "郑", "许", "蔡", "洪", "苏"];
const GIVEN: [&str; 20] = [
    "建国", "秀英", "玉兰", "志强", "桂芳", "国华", "淑珍", "文彬", "美玲", "德明", "丽华", "金水", "阿妹", "福生",
    "春花", "振华", "惠珍", "水生", "秀琴", "明辉",
];

fn seed_retirees(conn: &mut DbConnection, on: time::Date) -> Result<usize, AppError> {
    let root = jurisdictions::find(conn, "3502")?;
    let mut communities = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = jurisdictions::list_in_scope(conn, &root.path, Some("community"), None, after.as_deref(), 500)?;
        let done = page.len() < 500;
        after = page.last().map(|j| j.code.clone());
        communities.extend(page);
        if done {
            break;
        }
    }
    // The demo accounts' own community first, so the community and group-leader logins see people.
    communities.sort_by_key(|c| (c.code != "350203001001", c.code.clone()));
    communities.truncate(60);
    let mut rng = Lcg(2026);
    let mut used = HashSet::new();
    write_tx(conn, |conn| -> Result<usize, AppError> {
        for i in 0..DEMO_RETIREES {
            let community = &communities[if i < 20 { 0 } else { i % communities.len() }];
            let area = &community.code[..6];
            let birth = time::Date::from_calendar_date(
                1936 + rng.next(30) as i32,
                time::Month::try_from(1 + rng.next(12) as u8).unwrap_or(time::Month::January),
                1 + rng.next(28) as u8,
            )
            .map_err(AppError::internal)?;
            let male = rng.next(2) == 0;
            let mut sequence = (rng.next(500) * 2 + u64::from(male)) as u16;
            let mut id_number = make_id_number(area, birth, sequence);
            while !used.insert(id_number.clone()) {
                sequence = (sequence + 2) % 1000;
                id_number = make_id_number(area, birth, sequence);
            }
            let retire_age = if male { 60 } else { 55 };
            let retirement = time::Date::from_calendar_date(birth.year() + retire_age, birth.month(), 1)
                .map_err(AppError::internal)?;
            let name = format!("{}{}", SURNAMES[rng.next(16) as usize], GIVEN[rng.next(20) as usize]);
            let data = RetireeData {
                id_number: id_number.clone(),
                name,
                sex: if male { "male" } else { "female" }.into(),
                birth_date: birth,
                retirement_date: retirement,
                category: [
                    Category::EnterpriseEmployee,
                    Category::IndividuallyInsured,
                    Category::CentralProvincialEnterprise,
                ][rng.next(3) as usize]
                    .as_str()
                    .into(),
                management_level: [
                    ManagementLevel::CityManaged,
                    ManagementLevel::DistrictManaged,
                    ManagementLevel::CentralProvincialLocal,
                ][rng.next(3) as usize]
                    .as_str()
                    .into(),
                community_code: community.code.clone(),
                phone: Some(format!("1{}{:09}", [3, 5, 8][rng.next(3) as usize], rng.next(1_000_000_000))),
                address: Some(format!("{}{}号", community.name.trim_end_matches("居委会"), 1 + rng.next(200))),
                pension_status: "normal".into(),
                monthly_pension_fen: Some(250_000 + rng.next(400_000) as i64),
                party_member: rng.next(4) == 0,
                notes: None,
                // Spread over the year so that the worklists have people due soon and overdue.
                certified_until: on + time::Duration::days(rng.next(400) as i64 - 35),
            };
            let mut flags = Vec::new();
            for group in [SpecialGroup::LivingAlone, SpecialGroup::SeriouslyIll, SpecialGroup::WidowedChildless] {
                if rng.next(10) == 0 {
                    flags.push(GroupFlag {
                        group_code: group.as_str().into(),
                        from_date: on - time::Duration::days(30 + rng.next(700) as i64),
                        to_date: None,
                    });
                }
            }
            let retiree = retirees::create(conn, &data, &flags, on)?;
            if rng.next(5) == 0 {
                let spouse_birth = birth + time::Duration::days(365 * 2);
                let spouse_id = make_id_number(area, spouse_birth, if male { 2 } else { 1 } + 2 * rng.next(400) as u16);
                if used.insert(spouse_id.clone()) {
                    retirees::create_dependent(
                        conn,
                        retiree.id,
                        &DependentData {
                            relation: Relation::Spouse.as_str().into(),
                            id_number: spouse_id,
                            name: format!("{}{}", SURNAMES[rng.next(16) as usize], GIVEN[rng.next(20) as usize]),
                            supported: rng.next(2) == 0,
                        },
                        retiree.certified_until,
                    )?;
                }
            }
            audit::append(
                conn,
                &NewAuditEntry {
                    actor: "seed-demo".into(),
                    action: "retiree.create".into(),
                    object_type: "retiree".into(),
                    object_id: Some(retiree.id.to_string()),
                    retiree_id: Some(retiree.id),
                    scope_path: community.path.clone(),
                    outcome: "success".into(),
                    detail: Some(
                        serde_json::json!({"changes": {"name": {"from": null, "to": retiree.name}}}).to_string(),
                    ),
                    ..NewAuditEntry::default()
                },
            )?;
        }
        Ok(DEMO_RETIREES)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_valid() {
        let birth = time::macros::date!(1950 - 06 - 15);
        for seq in [0u16, 1, 998, 999] {
            let id = make_id_number("350203", birth, seq);
            let parsed = domain::IdNumber::parse(&id, time::macros::date!(2026 - 11 - 23)).unwrap();
            assert_eq!(parsed.birth_date(), birth);
        }
    }
}
