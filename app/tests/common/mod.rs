//! Fixtures the use-case tests share: the Xiamen tree they run in, a retiree's data and a district caller.
#![allow(dead_code, clippy::expect_used)]

use persistence::retirees::{self, RetireeData};
use persistence::testing::node;
use persistence::{DbConnection, RepoError};
use retiree_app::Caller;
use time::macros::date;

/// 思明区.
pub const DISTRICT: &str = "350203";
/// 鸿山社区 in 思明区.
pub const COMMUNITY: &str = "350203001001";
/// 湖里区.
pub const OTHER_DISTRICT: &str = "350206";

/// The city 3502 with 思明区 (one street, one community: [`COMMUNITY`]) and 湖里区 (no nodes below); the paths of
/// the two districts.
pub fn city_with_two_districts(conn: &mut DbConnection) -> (String, String) {
    let city = node(conn, "3502", "city", None);
    let district = node(conn, DISTRICT, "district", Some(("3502", &city)));
    let other = node(conn, OTHER_DISTRICT, "district", Some(("3502", &city)));
    let street = node(conn, "350203001", "street", Some((DISTRICT, &district)));
    node(conn, COMMUNITY, "community", Some(("350203001", &street)));
    (district, other)
}

/// 张三, born 1950-05-06, retired 2010-06-01, city-managed, pension 3,500.00 a month, certified until 2027-01-01,
/// in `community`.
pub fn retiree_data(id_number: &str, community: &str) -> RetireeData {
    RetireeData {
        id_number: id_number.into(),
        name: "张三".into(),
        sex: "male".into(),
        birth_date: date!(1950 - 05 - 06),
        retirement_date: date!(2010 - 06 - 01),
        category: "enterprise_employee".into(),
        management_level: "city_managed".into(),
        community_code: community.into(),
        phone: None,
        address: None,
        pension_status: "normal".into(),
        monthly_pension_fen: Some(350_000),
        party_member: false,
        notes: None,
        certified_until: date!(2027 - 01 - 01),
    }
}

/// Registers `data` on 2026-01-05; its id.
pub fn register(conn: &mut DbConnection, data: &RetireeData) -> i64 {
    persistence::write_tx(conn, |conn| -> Result<_, RepoError> {
        retirees::create(conn, data, &[], date!(2026 - 01 - 05))
    })
    .expect("retiree")
    .id
}

/// A caller `login` (account 1) of `kind` (`user` or `service`) with `role` at node `code`, whose subtree is
/// `scope_path`. Tests that need "no stored account" set `account_id: -1` on it.
pub fn caller_as(login: &str, kind: &str, role: domain::Role, code: &str, scope_path: &str) -> Caller {
    Caller {
        account_id: 1,
        login: login.into(),
        kind: kind.into(),
        role,
        jurisdiction_code: code.into(),
        scope_path: scope_path.into(),
        client_ip: None,
        request_id: "test".into(),
    }
}

/// A district centre worker `login` at node `code` whose subtree is `scope_path`.
pub fn district_caller(login: &str, code: &str, scope_path: &str) -> Caller {
    caller_as(login, "user", domain::Role::DistrictCentre, code, scope_path)
}
