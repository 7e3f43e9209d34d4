//! The transfer use cases called directly, without HTTP, on SQLite and (with `TEST_POSTGRES_URL`) PostgreSQL:
//! who acts on which side, the refusal of a complete application, and what completion moves (JN Art. 22).
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use retiree_app as app;

use app::Caller;
use app::transfers::act::act;
use app::transfers::apply::{apply, check};
use app::transfers::{Action, CreateTransferRequest, TransferActionRequest, TransferResponse};
use common::{district_caller, register, retiree_data};
use diesel::prelude::*;
use domain::transfer::{TransferDocument as D, TransferStatus};
use persistence::retirees::{self, RetireeData};
use persistence::testing::{TestDb, each_backend, node};
use time::macros::date;

const FROM_DISTRICT: &str = "350203";
const FROM: &str = "350203001001";
const TO_DISTRICT: &str = "350206";
const TO: &str = "350206001001";
const ID_NUMBER: &str = "350203195005060014";

/// Two districts with one community each, and one retiree (a party member) on the roll of the first.
fn fixture(db: &mut TestDb) -> (i64, String, String) {
    let conn = &mut db.conn;
    let city = node(conn, "3502", "city", None);
    let from_district = node(conn, FROM_DISTRICT, "district", Some(("3502", &city)));
    let to_district = node(conn, TO_DISTRICT, "district", Some(("3502", &city)));
    let street = node(conn, "350203001", "street", Some((FROM_DISTRICT, &from_district)));
    node(conn, FROM, "community", Some(("350203001", &street)));
    let street = node(conn, "350206001", "street", Some((TO_DISTRICT, &to_district)));
    node(conn, TO, "community", Some(("350206001", &street)));
    let data = RetireeData { party_member: true, ..retiree_data(ID_NUMBER, FROM) };
    let person = register(conn, &data);
    (person, from_district, to_district)
}

fn within_city(documents: Vec<D>) -> CreateTransferRequest {
    CreateTransferRequest {
        id_number: Some(ID_NUMBER.into()),
        to_community: Some(TO.into()),
        retiree_id: None,
        destination: None,
        documents,
        applied_on: Some("2026-05-10".into()),
        note: None,
    }
}

fn open(db: &mut TestDb, who: &Caller, body: CreateTransferRequest) -> Result<TransferResponse, app::AppError> {
    let application = check(body, date!(2026 - 05 - 20)).map_err(app::AppError::validation)?;
    persistence::write_tx(&mut db.conn, |conn| apply(conn, who, date!(2026 - 05 - 20), application))
}

fn take(
    db: &mut TestDb,
    who: &Caller,
    id: i64,
    action: Action,
    body: TransferActionRequest,
) -> Result<TransferResponse, app::AppError> {
    persistence::write_tx(&mut db.conn, |conn| act(conn, who, date!(2026 - 05 - 20), id, None, action, body))
}

#[test]
fn a_transfer_within_the_city_moves_the_person_between_the_rolls() {
    for mut db in each_backend() {
        let (id, from_path, to_path) = fixture(&mut db);
        let (sender, receiver) =
            (district_caller("siming", FROM_DISTRICT, &from_path), district_caller("huli", TO_DISTRICT, &to_path));
        // JN Art. 22: the retiree applies at the new place of residence, which names them by resident ID.
        let t = open(&mut db, &receiver, within_city(vec![D::ApplicationForm, D::ResidenceProof, D::IdCopy]))
            .expect("apply");
        assert_eq!((t.status, t.from_community.as_str(), t.retiree_id), (TransferStatus::Applied, FROM, id));
        // The receiver may not release, the sender does.
        let refused = take(&mut db, &receiver, t.id, Action::Release, TransferActionRequest::default())
            .expect_err("release by the receiver");
        assert_eq!(refused.status(), 403, "{}", db.backend);
        take(&mut db, &sender, t.id, Action::Release, TransferActionRequest::default()).expect("release");
        let done =
            take(&mut db, &receiver, t.id, Action::Complete, TransferActionRequest::default()).expect("complete");
        assert_eq!((done.status, done.completed_month.as_deref()), (TransferStatus::Completed, Some("2026-05")));
        // The archive and the party relationship move with the person.
        let steps: Vec<&str> = done.steps.iter().map(|s| s.step.as_str()).collect();
        assert_eq!(steps, ["applied", "released", "archive_moved", "party_moved", "completed"], "{}", db.backend);
        let moved = retirees::find_in_scope(&mut db.conn, id, "/").expect("person").0;
        assert_eq!(moved.community_code, TO, "{}", db.backend);
        use persistence::schema::roster_movements::dsl as m;
        let kinds: Vec<(String, String)> = m::roster_movements
            .filter(m::retiree_id.eq(id))
            .filter(m::source_type.eq("transfer"))
            .order(m::id)
            .select((m::kind, m::community_code))
            .load(&mut db.conn)
            .expect("movements");
        assert_eq!(
            kinds,
            [("transferred_out".to_owned(), FROM.to_owned()), ("transferred_in".to_owned(), TO.to_owned())],
            "{}",
            db.backend
        );
        // GUIDE 走访制度: the receiving community visits within the month of arrival.
        use persistence::schema::visit_tasks::dsl as v;
        let due: Vec<(String, time::Date)> = v::visit_tasks
            .filter(v::retiree_id.eq(id))
            .select((v::community_code, v::due_on))
            .load(&mut db.conn)
            .expect("visits");
        assert_eq!(due, [(TO.to_owned(), date!(2026 - 05 - 31))], "{}", db.backend);
    }
}

#[test]
fn a_complete_application_cannot_be_returned_and_an_outsider_sees_nothing() {
    for mut db in each_backend() {
        let (_, from_path, to_path) = fixture(&mut db);
        let receiver = district_caller("huli", TO_DISTRICT, &to_path);
        let t = open(&mut db, &receiver, within_city(vec![D::ApplicationForm, D::ResidenceProof, D::IdCopy]))
            .expect("apply");
        // JN Art. 22: "一律接收，不得推诿".
        let body = TransferActionRequest { missing: Some(vec![D::IdCopy]), ..Default::default() };
        let refused = take(&mut db, &receiver, t.id, Action::Return, body).expect_err("return");
        assert_eq!((refused.status(), refused.code()), (409, "transfer_cannot_be_refused"), "{}", db.backend);
        // Somebody on neither side cannot tell the transfer exists.
        let street = format!("{from_path}/350203099");
        let outsider = district_caller("other", "350203099", &street);
        let hidden =
            persistence::write_tx(&mut db.conn, |conn| app::transfers::read(conn, &outsider, t.id)?.commit(conn))
                .expect_err("outsider");
        assert_eq!(hidden.status(), 404, "{}", db.backend);
        // A second open transfer of the same person is refused.
        let again = open(&mut db, &receiver, within_city(vec![D::ApplicationForm])).expect_err("second");
        assert_eq!((again.status(), again.code()), (409, "transfer_exists"), "{}", db.backend);
    }
}

#[test]
fn a_move_out_of_the_city_is_registered_and_completed_by_the_sending_side() {
    for mut db in each_backend() {
        let (id, from_path, _) = fixture(&mut db);
        let sender = district_caller("siming", FROM_DISTRICT, &from_path);
        let body = CreateTransferRequest {
            id_number: None,
            to_community: None,
            retiree_id: Some(id),
            destination: Some("上海市".into()),
            documents: vec![D::ApplicationForm],
            applied_on: None,
            note: None,
        };
        let t = open(&mut db, &sender, body).expect("apply");
        assert_eq!((t.to_community.as_deref(), t.applied_on), (None, date!(2026 - 05 - 20)), "{}", db.backend);
        take(&mut db, &sender, t.id, Action::Release, TransferActionRequest::default()).expect("release");
        take(&mut db, &sender, t.id, Action::Complete, TransferActionRequest::default()).expect("complete");
        // CS Art. 28: the pension becomes transferred_out; the person leaves the roll.
        let gone = retirees::find_in_scope(&mut db.conn, id, "/").expect("person").0;
        assert_eq!(gone.pension_status.as_str(), "transferred_out", "{}", db.backend);
        assert!(!persistence::movement::on_roll(&mut db.conn, id).expect("on roll"), "{}", db.backend);
    }
}

#[test]
fn an_application_missing_its_fields_names_each_of_them() {
    let body = CreateTransferRequest {
        id_number: None,
        to_community: None,
        retiree_id: None,
        destination: None,
        documents: vec![],
        applied_on: Some("2026-05-21".into()),
        note: None,
    };
    let errors = check(body, date!(2026 - 05 - 20)).expect_err("refused");
    let fields: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
    assert_eq!(fields, [("/applied_on", "date_in_future"), ("/id_number", "required"), ("/to_community", "required")]);
}
