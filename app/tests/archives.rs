//! The archive use cases called directly, without HTTP, on SQLite and (with `TEST_POSTGRES_URL`) PostgreSQL: the
//! receipt check of CS Art. 12(2), one archive per person, a place only in a repository of the person's own
//! district, JN Art. 20's capacity, and the shortfall of JN Art. 12 and 20 counted from the records.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use retiree_app as app;

use app::Caller;
use app::archives::Preparation;
use app::archives::receive::{ReceiveRequest, check, receive};
use app::archives::store::{CreateRepositoryRequest, PlaceRequest, create_repository, place, staffing_of};
use common::{COMMUNITY, DISTRICT, OTHER_DISTRICT, city_with_two_districts, district_caller, register, retiree_data};
use persistence::testing::each_backend;
use time::macros::date;

fn archivist(city_path: &str) -> Caller {
    Caller {
        role: domain::Role::Archivist,
        jurisdiction_code: "3502".into(),
        ..district_caller("archivist", "3502", city_path)
    }
}

fn body(retiree: i64, volumes: i32) -> ReceiveRequest {
    ReceiveRequest {
        retiree_id: Some(retiree),
        handover: None,
        volumes,
        pieces: 30,
        preparation: Preparation {
            sorted: Some("2026-11-02".into()),
            catalogued: Some("2026-11-02".into()),
            bound: Some("2026-11-03".into()),
            digitised: Some("2026-11-10".into()),
        },
        accept_unprepared: None,
        missing_items: None,
        delivered_by: "厦门港务集团 李四".into(),
        received_on: None,
        materials: None,
    }
}

#[test]
fn receipt_place_and_shortfall_cs_12_2_jn_12_20() {
    for mut db in each_backend() {
        let (district, _other) = city_with_two_districts(&mut db.conn);
        let city_path = district.trim_end_matches('/').rsplit_once('/').map(|(p, _)| format!("{p}/")).unwrap();
        let today = date!(2026 - 12 - 06);
        let keeper = archivist(&city_path);
        let person = register(&mut db.conn, &retiree_data("350203195005060013", COMMUNITY));
        // CS Art. 12(2): not digitised, refused naming the item.
        let mut unprepared = body(person, 2);
        unprepared.preparation.digitised = None;
        let errors = check(&unprepared, today).unwrap_err();
        assert_eq!(errors.len(), 1, "{}", db.backend);
        assert_eq!(
            (errors[0].field.as_str(), errors[0].code.as_str()),
            ("/preparation/digitised", "archive_unprepared")
        );
        // A district centre may not receive.
        let siming = district_caller("siming", DISTRICT, &district);
        let asked = check(&body(person, 2), today).unwrap();
        let err = persistence::write_tx(&mut db.conn, |conn| receive(conn, &siming, today, asked.clone())).unwrap_err();
        assert_eq!(err.status(), 403);
        let a = persistence::write_tx(&mut db.conn, |conn| receive(conn, &keeper, today, asked.clone())).unwrap();
        assert_eq!((a.volumes, a.status), (2, domain::archive::ArchiveStatus::InStore));
        let err = persistence::write_tx(&mut db.conn, |conn| receive(conn, &keeper, today, asked.clone())).unwrap_err();
        assert_eq!((err.status(), err.code()), (409, "archive_exists"));
        // Repositories: 思明 60 m² (JN Art. 20: 10,000 volumes), 湖里 60 m².
        let repo = |code: &str, node: &str| CreateRepositoryRequest {
            code: code.into(),
            name: format!("{code} 库房"),
            jurisdiction: node.into(),
            area_m2: 60,
            keepers: 0,
        };
        let sm = persistence::write_tx(&mut db.conn, |conn| {
            create_repository(conn, &keeper, today, repo("SM-01", DISTRICT))
        })
        .unwrap();
        let hl = persistence::write_tx(&mut db.conn, |conn| {
            create_repository(conn, &keeper, today, repo("HL-01", OTHER_DISTRICT))
        })
        .unwrap();
        assert_eq!(sm.capacity_volumes, 10_000);
        let at = |id: i64| PlaceRequest {
            repository_id: id,
            room: "1".into(),
            shelf: "A".into(),
            box_: "7".into(),
            stored_on: None,
        };
        let err =
            persistence::write_tx(&mut db.conn, |conn| place(conn, &keeper, today, a.id, None, at(hl.id))).unwrap_err();
        assert_eq!((err.status(), err.code()), (422, "location_out_of_jurisdiction"));
        let placed =
            persistence::write_tx(&mut db.conn, |conn| place(conn, &keeper, today, a.id, None, at(sm.id))).unwrap();
        assert_eq!(placed.place.unwrap().repository, "SM-01");
        // JN Art. 12: 2 volumes need a keeper the repository lacks; JN Art. 20: 1 m² (rounded up), 60 there.
        let s = staffing_of(&mut db.conn, &district, today).unwrap();
        assert_eq!((s.volumes, s.node.keepers_required, s.node.keepers_short, s.node.area_short_m2), (2, 1, 1, 0));
        assert_eq!(s.repositories[0].occupancy_volumes, 2);
    }
}

fn id_number(seq: u32) -> String {
    let first = format!("35020319500506{seq:03}");
    format!("{first}{}", domain::id_number::check_char(first.as_bytes()))
}

/// An archive received for a new person, placed in `repository`; digitised at receipt or not.
fn stored(db: &mut persistence::DbConnection, keeper: &Caller, seq: u32, repository: i64, digitised: bool) -> i64 {
    let today = date!(2026 - 12 - 06);
    let person = register(db, &retiree_data(&id_number(seq), COMMUNITY));
    let mut asked = body(person, 1);
    if !digitised {
        asked.preparation.digitised = None;
        asked.accept_unprepared = Some(true);
    }
    let asked = check(&asked, today).unwrap();
    let a = persistence::write_tx(db, |conn| receive(conn, keeper, today, asked.clone())).unwrap();
    let at = PlaceRequest {
        repository_id: repository,
        room: "1".into(),
        shelf: "A".into(),
        box_: "7".into(),
        stored_on: None,
    };
    persistence::write_tx(db, |conn| place(conn, keeper, today, a.id, None, at.clone())).unwrap();
    a.id
}

fn sm_repository(db: &mut persistence::DbConnection, keeper: &Caller) -> i64 {
    let body = CreateRepositoryRequest {
        code: "SM-01".into(),
        name: "思明区档案馆一号库".into(),
        jurisdiction: DISTRICT.into(),
        area_m2: 60,
        keepers: 1,
    };
    persistence::write_tx(db, |conn| create_repository(conn, keeper, date!(2026 - 12 - 06), body.clone())).unwrap().id
}

#[test]
fn loans_run_once_and_supplements_file_with_the_next_piece_jn_7_12_jn_27() {
    use app::archives::loans::{LoanRequest, LoanStep, Step, request, step};
    use app::archives::receive::MaterialInput;
    use app::archives::supplements::{SupplementRequest, SupplementReturn, review, submit};
    use domain::archive::{LoanKind, LoanStatus, MaterialType, SupplementAction, SupplementStatus};
    for mut db in each_backend() {
        let (district, _other) = city_with_two_districts(&mut db.conn);
        let city_path = district.trim_end_matches('/').rsplit_once('/').map(|(p, _)| format!("{p}/")).unwrap();
        let today = date!(2026 - 12 - 06);
        let keeper = archivist(&city_path);
        let siming = district_caller("siming", DISTRICT, &district);
        let repo = sm_repository(&mut db.conn, &keeper);
        let a = stored(&mut db.conn, &keeper, 1, repo, true);
        // JN Art. 7(12): the district centre asks; the archivist approves, lends, takes back, once.
        let ask = LoanRequest {
            kind: LoanKind::Borrow,
            online: None,
            requester: "思明区人社局 王五".into(),
            purpose: "核对退休审批材料".into(),
            pieces: None,
            asked_from: None,
            asked_until: None,
        };
        let loan = persistence::write_tx(&mut db.conn, |conn| request(conn, &siming, today, a, ask.clone())).unwrap();
        assert_eq!(loan.status, LoanStatus::Requested, "{}", db.backend);
        let err = persistence::write_tx(&mut db.conn, |conn| {
            step(conn, &siming, today, loan.id, Step::Approve, None, LoanStep::default())
        })
        .unwrap_err();
        assert_eq!(err.status(), 403);
        for s in [Step::Approve, Step::Lend, Step::Return] {
            persistence::write_tx(&mut db.conn, |conn| {
                step(conn, &keeper, today, loan.id, s, None, LoanStep::default())
            })
            .unwrap();
        }
        let err = persistence::write_tx(&mut db.conn, |conn| {
            step(conn, &keeper, today, loan.id, Step::Return, None, LoanStep::default())
        })
        .unwrap_err();
        assert_eq!((err.status(), err.code()), (409, "loan_wrong_status"));
        // JN Art. 27: a supplement reviewed once, filed as piece 1 (no materials at receipt), the archive one piece up.
        let sup = SupplementRequest {
            material: MaterialInput {
                material_type: MaterialType::Employment,
                title: "退休金调整审批表".into(),
                dated: Some("2026-11-20".into()),
                pages: 2,
            },
            delivered_by: "厦门港务集团 李四".into(),
        };
        let s = persistence::write_tx(&mut db.conn, |conn| submit(conn, &siming, today, a, sup.clone())).unwrap();
        assert_eq!(s.status, SupplementStatus::Submitted);
        let filed = persistence::write_tx(&mut db.conn, |conn| {
            review(conn, &keeper, today, s.id, SupplementAction::Accept, None, SupplementReturn::default())
        })
        .unwrap();
        assert_eq!((filed.status, filed.piece_no), (SupplementStatus::Filed, Some(1)));
        let err = persistence::write_tx(&mut db.conn, |conn| {
            review(
                conn,
                &keeper,
                today,
                s.id,
                SupplementAction::Return,
                None,
                SupplementReturn { reason: Some("x".into()) },
            )
        })
        .unwrap_err();
        assert_eq!((err.status(), err.code()), (409, "supplement_wrong_status"));
        let view = app::archives::get(&mut db.conn, &keeper, a).unwrap();
        assert_eq!(view.pieces, 31);
    }
}

#[test]
fn a_digitisation_batch_marks_its_archives_digitised_xm_16_jn_8_7() {
    use app::archives::batches::{
        DigitisationBatchCancelRequest, DigitisationBatchCompleteRequest, DigitisationBatchRequest, DigitisationResult,
        cancel, complete, create,
    };
    use domain::archive_batch::BatchStatus;
    for mut db in each_backend() {
        let (district, other) = city_with_two_districts(&mut db.conn);
        let city_path = district.trim_end_matches('/').rsplit_once('/').map(|(p, _)| format!("{p}/")).unwrap();
        let today = date!(2026 - 12 - 06);
        let keeper = archivist(&city_path);
        let repo = sm_repository(&mut db.conn, &keeper);
        let a1 = stored(&mut db.conn, &keeper, 1, repo, false);
        let a2 = stored(&mut db.conn, &keeper, 2, repo, false);
        let done = stored(&mut db.conn, &keeper, 3, repo, true);
        let ask = |ids: Vec<i64>| DigitisationBatchRequest {
            repository_id: repo,
            archive_ids: ids,
            vendor: "厦门数档科技有限公司".into(),
            operator: "王档案".into(),
            started_on: Some("2026-12-01".into()),
        };
        // JN Art. 8(7): an archive digitised already does not go; the district centre may not send.
        let err =
            persistence::write_tx(&mut db.conn, |conn| create(conn, &keeper, today, ask(vec![a1, done]))).unwrap_err();
        assert_eq!(
            (err.status(), err.code(), err.errors()[0].0.field.as_str()),
            (422, "archive_digitised", "/archive_ids/1")
        );
        let siming = district_caller("siming", DISTRICT, &district);
        let err = persistence::write_tx(&mut db.conn, |conn| create(conn, &siming, today, ask(vec![a1]))).unwrap_err();
        assert_eq!(err.status(), 403);
        // Another district's archivist does not see the repository.
        let huli = Caller { jurisdiction_code: OTHER_DISTRICT.into(), scope_path: other.clone(), ..keeper.clone() };
        let err = persistence::write_tx(&mut db.conn, |conn| create(conn, &huli, today, ask(vec![a1]))).unwrap_err();
        assert_eq!(err.code(), "validation_failed");
        let b = persistence::write_tx(&mut db.conn, |conn| create(conn, &keeper, today, ask(vec![a1, a2]))).unwrap();
        assert_eq!((b.status, b.progress.archives), (BatchStatus::Open, 2));
        let err = app::archives::batches::get(&mut db.conn, &huli, b.id).unwrap_err();
        assert_eq!(err.status(), 404);
        // XM Art. 16: completed with a1's result; a1 is digitised (date and copy) in the same transaction, a2 not.
        let result = DigitisationResult {
            archive_id: a1,
            pages: 88,
            uri: "https://dams.example.gov.cn/archives/a1".into(),
            checksum: format!("sha256:{}", "ab".repeat(32)),
            digitised_on: Some("2026-12-05".into()),
        };
        let body = DigitisationBatchCompleteRequest { results: Some(vec![result]), finished_on: None };
        let fin = persistence::write_tx(&mut db.conn, |conn| complete(conn, &keeper, today, b.id, None, body.clone()))
            .unwrap();
        assert_eq!((fin.status, fin.progress.digitised, fin.progress.per_mille), (BatchStatus::Completed, 1, 500));
        let v1 = app::archives::get(&mut db.conn, &keeper, a1).unwrap();
        assert_eq!((v1.preparation.digitised.as_deref(), v1.digital.map(|d| d.pages)), (Some("2026-12-05"), Some(88)));
        assert_eq!(app::archives::get(&mut db.conn, &keeper, a2).unwrap().preparation.digitised, None);
        let err = persistence::write_tx(&mut db.conn, |conn| {
            cancel(conn, &keeper, today, b.id, None, DigitisationBatchCancelRequest { reason: "x".into() })
        })
        .unwrap_err();
        assert_eq!((err.status(), err.code()), (409, "batch_wrong_status"));
        // The report counts what the batch produced.
        let r = app::archives::digitisation::report(&mut db.conn, &keeper, today, DISTRICT).unwrap();
        let completed = r.batches.iter().find(|c| c.status == BatchStatus::Completed).unwrap();
        assert_eq!((completed.archives, completed.digitised), (2, 1));
        assert_eq!((r.node.archives, r.node.digitised), (3, 2));
    }
}
