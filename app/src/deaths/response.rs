//! The API view of a death report.

use domain::Money;
use domain::death::ReporterKind;
use persistence::death::DeathReport;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::input::month_text;

/// A death report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 3, "retiree_id": 42, "community_code": "350203001001", "date_of_death": "2026-03-15",
    "certificate_number": "DC-350203-2026-0042", "reporter_kind": "relative", "reporter_name": "张小明",
    "reporter_relation": "儿子", "reported_on": "2026-03-20", "deadline": "2026-04-14", "late": false,
    "status": "verified", "stop_month": "2026-04", "condolence": "500.00", "funeral_grant": null,
    "survivor_benefit": null, "verified_by": "siming", "verified_at": "2026-03-21T02:00:00Z", "closed_reason": null,
    "version": 2, "created_at": "2026-03-20T02:00:00Z"}))]
pub struct DeathReportResponse {
    /// Id.
    pub id: i64,
    /// The retiree.
    pub retiree_id: i64,
    /// Their community at the time of the report.
    pub community_code: String,
    /// Date of death.
    #[schema(value_type = String, format = Date)]
    pub date_of_death: Date,
    /// Death certificate number.
    pub certificate_number: String,
    /// Who reported.
    pub reporter_kind: ReporterKind,
    /// Reporter.
    pub reporter_name: String,
    /// Their relation.
    pub reporter_relation: Option<String>,
    /// Day reported.
    #[schema(value_type = String, format = Date)]
    pub reported_on: Date,
    /// Last day to report in time: the policy's working days after the death on the working-day calendar (CS Art.
    /// 16(4): 20 working days).
    #[schema(value_type = String, format = Date)]
    pub deadline: Date,
    /// Reported after the deadline.
    pub late: bool,
    /// `reported`, `verified`, `withdrawn` or `reversed`.
    #[schema(example = "verified")]
    pub status: String,
    /// First month without pension: the month after death (`YYYY-MM`).
    #[schema(example = "2026-04")]
    pub stop_month: String,
    /// Condolence due to the family on verification (policy amount, yuan; XM Art. 21(3): 500), once.
    pub condolence: Option<String>,
    /// Funeral grant assessed (yuan).
    pub funeral_grant: Option<String>,
    /// Survivor benefit assessed (yuan).
    pub survivor_benefit: Option<String>,
    /// Who verified.
    pub verified_by: Option<String>,
    /// When.
    #[serde(with = "time::serde::rfc3339::option")]
    pub verified_at: Option<OffsetDateTime>,
    /// Why withdrawn or reversed.
    pub closed_reason: Option<String>,
    /// Version (also the ETag).
    pub version: i64,
    /// Recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

fn yuan(fen: Option<i64>) -> Option<String> {
    fen.map(|f| Money::from_fen(f).to_string())
}

/// The API view of a stored report.
pub fn report_response(r: DeathReport) -> DeathReportResponse {
    DeathReportResponse {
        id: r.id,
        retiree_id: r.retiree_id,
        community_code: r.community_code,
        date_of_death: r.date_of_death,
        certificate_number: r.certificate_number,
        reporter_kind: r.reporter_kind,
        reporter_name: r.reporter_name,
        reporter_relation: r.reporter_relation,
        reported_on: r.reported_on,
        deadline: r.deadline,
        late: r.late,
        status: r.status.as_str().to_owned(),
        stop_month: month_text(r.stop_month),
        condolence: yuan(r.condolence_fen),
        funeral_grant: yuan(r.funeral_grant_fen),
        survivor_benefit: yuan(r.survivor_benefit_fen),
        verified_by: r.verified_by,
        verified_at: r.verified_at.map(|t| t.assume_utc()),
        closed_reason: r.closed_reason,
        version: r.version,
        created_at: r.created_at.assume_utc(),
    }
}
