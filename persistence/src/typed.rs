//! Domain enumerations crossing the persistence boundary typed. A `Text` column holding a code is read through
//! [`Stored`], which parses it with the domain enum's `parse`; a stored value that is not a known code is a
//! deserialization error naming the type and the value (mapped to [`crate::RepoError::Corrupt`]), never a default.
//! The domain crate stays free of Diesel: the glue lives here.
//!
//! In a model, keep the field the domain type and read it through the wrapper:
//!
//! ```ignore
//! #[diesel(deserialize_as = Stored<PensionStatus>)]
//! pub pension_status: PensionStatus,
//! #[diesel(deserialize_as = OptStored<SuspensionReason>)] // a nullable column
//! pub suspension_reason: Option<SuspensionReason>,
//! ```
//!
//! Writing works too (`Stored(v)` is an expression of SQL type `Text`, so it can be compared or inserted).
//! The impls are generic over the backend (`String: FromSql<Text, DB>`), so they hold for SQLite, PostgreSQL and
//! the `MultiBackend` of [`crate::DbConnection`] alike. Stored JSON goes through [`stored_json`] the same way.

use std::fmt;

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{BigInt, Nullable, Text};

use crate::{RepoError, RepoResult};
use domain::activity::ActivityKind;
use domain::archive::{
    ArchiveStatus, DispatchMeans, DispatchStatus, DisposalKind, LoanKind, LoanStatus, MaterialType, SupplementStatus,
};
use domain::archive_batch::BatchStatus;
use domain::assistance::{AssistanceKind, ReferralStatus};
use domain::care::GroupBasis;
use domain::death::{DeathReportStatus, ReporterKind};
use domain::elder_care::{
    CareFrequency, CarePlace, CareStatus, CaregiverGrade, CostBearer, InstitutionKind, SupervisionResult,
};
use domain::errand::{ErrandKind, ErrandStatus};
use domain::handover::{ArchiveExemption, HandoverItemStatus, HandoverStep};
use domain::health::DisabilityLevel;
use domain::high_age::ApplicationStatus as AllowanceStatus;
use domain::movement::ReductionKind;
use domain::overpayment::{OverpaymentStatus, RecoveryKind};
use domain::party::{MeetingKind, RelationStatus};
use domain::pension::{CertificationBarrier, CertificationMethod, DataSource};
use domain::petition::{AnswerBasis, PetitionCategory, PetitionChannel, PetitionStatus, Satisfaction, Urgency};
use domain::policy::{CondolenceKind, FundUse, SuspensionReason};
use domain::support::{SupportApplicationStatus, SupportEndReason, SupportStep};
use domain::transfer::{TransferDocument, TransferStatus};
use domain::{Category, Level, ManagementLevel, PensionStatus, Relation, Role, Sex};

/// A domain enumeration stored as its stable code.
pub trait StoredCode: Copy + fmt::Debug + 'static {
    /// The type's name in error messages.
    const NAME: &'static str;
    /// The stable code.
    fn code(self) -> &'static str;
    /// The value of a code, `None` if unknown.
    fn from_code(code: &str) -> Option<Self>;
}

/// A stored code that is not one of its type's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored {type_name} value {value:?} is not a known code")]
pub struct UnknownCode {
    /// The domain type.
    pub type_name: &'static str,
    /// The stored text.
    pub value: String,
}

/// Parses a stored code, failing with [`UnknownCode`].
pub fn parse_code<T: StoredCode>(value: &str) -> Result<T, UnknownCode> {
    T::from_code(value).ok_or_else(|| UnknownCode { type_name: T::NAME, value: value.to_owned() })
}

/// Stored JSON text (a column the service writes as JSON) read as `T`; text that does not parse is
/// [`RepoError::Corrupt`] naming `table`, the row (`id`) and `column`, logged, never a default.
pub fn stored_json<T: serde::de::DeserializeOwned>(
    table: &str,
    id: impl fmt::Display,
    column: &str,
    text: &str,
) -> RepoResult<T> {
    serde_json::from_str(text).map_err(|e| corrupt(table, id, column, format!("not the JSON expected ({e}): {text:?}")))
}

/// [`RepoError::Corrupt`] about `column` of row `id` of `table`, logged as an error.
pub fn corrupt(table: &str, id: impl fmt::Display, column: &str, what: impl fmt::Display) -> RepoError {
    let e = RepoError::Corrupt(format!("{table} id {id} column {column}: {what}"));
    log::error!("{e}");
    e
}

/// A domain enumeration read from or written to a `Text` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub struct Stored<T: StoredCode>(pub T);

impl<T: StoredCode, DB> FromSql<Text, DB> for Stored<T>
where
    DB: Backend,
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, DB>>::from_sql(bytes)?;
        Ok(Stored(parse_code(&text)?))
    }
}

impl<T: StoredCode, DB> ToSql<Text, DB> for Stored<T>
where
    DB: Backend,
    str: ToSql<Text, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        <str as ToSql<Text, DB>>::to_sql(self.0.code(), out)
    }
}

/// A nullable `Text` column of codes: `NULL` reads as `None`, an unknown code fails like [`Stored`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub struct OptStored<T: StoredCode>(pub Option<T>);

impl<T: StoredCode, DB> FromSql<Nullable<Text>, DB> for OptStored<T>
where
    DB: Backend,
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        Ok(OptStored(Some(<Stored<T> as FromSql<Text, DB>>::from_sql(bytes)?.0)))
    }

    fn from_nullable_sql(bytes: Option<DB::RawValue<'_>>) -> deserialize::Result<Self> {
        match bytes {
            Some(bytes) => Self::from_sql(bytes),
            None => Ok(OptStored(None)),
        }
    }
}

/// Implements [`StoredCode`] and the conversions `deserialize_as` needs for domain enumerations made by
/// `domain::code_enum!`.
macro_rules! stored_codes {
    ($($ty:ident),+ $(,)?) => {$(
        impl StoredCode for $ty {
            const NAME: &'static str = stringify!($ty);
            fn code(self) -> &'static str {
                self.as_str()
            }
            fn from_code(code: &str) -> Option<Self> {
                <$ty>::parse(code)
            }
        }
        impl From<Stored<$ty>> for $ty {
            fn from(s: Stored<$ty>) -> Self {
                s.0
            }
        }
        impl From<$ty> for Stored<$ty> {
            fn from(v: $ty) -> Self {
                Stored(v)
            }
        }
        impl From<OptStored<$ty>> for Option<$ty> {
            fn from(s: OptStored<$ty>) -> Self {
                s.0
            }
        }
    )+};
}

stored_codes!(
    ArchiveExemption,
    Category,
    CertificationBarrier,
    CertificationMethod,
    CondolenceKind,
    DataSource,
    DeathReportStatus,
    FundUse,
    GroupBasis,
    HandoverItemStatus,
    HandoverStep,
    Level,
    ManagementLevel,
    OverpaymentStatus,
    PensionStatus,
    RecoveryKind,
    ReductionKind,
    Relation,
    ReporterKind,
    Role,
    Sex,
    SupportApplicationStatus,
    SupportEndReason,
    SupportStep,
    SuspensionReason,
    TransferDocument,
    TransferStatus,
    PetitionChannel,
    PetitionCategory,
    Urgency,
    PetitionStatus,
    Satisfaction,
    AnswerBasis,
    // Personnel archives (issue 23).
    ArchiveStatus,
    MaterialType,
    LoanStatus,
    LoanKind,
    SupplementStatus,
    DispatchStatus,
    DisposalKind,
    // Elderly care services (issue 26).
    InstitutionKind,
    CaregiverGrade,
    CostBearer,
    CarePlace,
    CareFrequency,
    CareStatus,
    SupervisionResult,
    // Personnel archives: transfer (issue 23).
    DispatchMeans,
    // Community services (issue 25).
    DisabilityLevel,
    ActivityKind,
    // Personnel archives: digitisation batches (issue 23).
    BatchStatus,
    // Community services (issue 25 part 4).
    AllowanceStatus,
    AssistanceKind,
    ReferralStatus,
    // Community services (issue 25): tracked errands.
    ErrandKind,
    ErrandStatus,
    // Community services (issue 25): party members.
    RelationStatus,
    MeetingKind,
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DbConnection;
    use diesel::prelude::*;
    use domain::PensionStatus;

    #[derive(Debug, QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text, deserialize_as = Stored<PensionStatus>)]
        v: PensionStatus,
        #[diesel(sql_type = Nullable<Text>, deserialize_as = OptStored<SuspensionReason>)]
        r: Option<SuspensionReason>,
    }

    fn conn() -> DbConnection {
        let url = crate::DatabaseUrl::Sqlite(":memory:".into());
        crate::connection::establish(&url).unwrap()
    }

    #[test]
    fn codes_round_trip_through_the_multi_backend_and_unknown_ones_fail() {
        let conn = &mut conn();
        let row: Row = diesel::sql_query("SELECT ? AS v, NULL AS r")
            .bind::<Text, _>(Stored(PensionStatus::Suspended))
            .get_result(conn)
            .unwrap();
        assert_eq!((row.v, row.r), (PensionStatus::Suspended, None));
        let row: Row = diesel::sql_query("SELECT 'normal' AS v, 'imprisoned' AS r").get_result(conn).unwrap();
        assert_eq!((row.v, row.r), (PensionStatus::Normal, Some(SuspensionReason::Imprisoned)));
        let err = diesel::sql_query("SELECT 'normal' AS v, 'holiday' AS r").get_result::<Row>(conn).unwrap_err();
        let RepoError::Corrupt(message) = RepoError::from(err) else { panic!("expected Corrupt") };
        assert_eq!(message, "stored SuspensionReason value \"holiday\" is not a known code");
        let err = diesel::sql_query("SELECT 'bogus' AS v, NULL AS r").get_result::<Row>(conn).unwrap_err();
        assert!(matches!(RepoError::from(err), RepoError::Corrupt(m) if m.contains("PensionStatus value \"bogus\"")));
    }

    #[test]
    fn known_codes_parse_and_unknown_ones_name_type_and_value() {
        assert_eq!(parse_code::<PensionStatus>("suspended"), Ok(PensionStatus::Suspended));
        let err = parse_code::<PensionStatus>("bogus").unwrap_err();
        assert_eq!(err.to_string(), "stored PensionStatus value \"bogus\" is not a known code");
    }
}

/// A domain id newtype (`domain::RetireeId`) stored as a `BigInt` id column (issue 18: ids typed where they cross
/// the layers). In a model: `#[diesel(deserialize_as = StoredId<RetireeId>)] pub id: RetireeId`; in a query,
/// `retirees::id.eq(StoredId::from(id))` (or `.eq(id.get())`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = BigInt)]
pub struct StoredId<T: IdNewtype> {
    raw: i64,
    id: std::marker::PhantomData<T>,
}

/// An id newtype of the domain: a number both ways.
pub trait IdNewtype: Copy + fmt::Debug + From<i64> + Into<i64> + 'static {}

impl IdNewtype for domain::RetireeId {}

impl<T: IdNewtype> StoredId<T> {
    /// The id.
    pub fn id(self) -> T {
        T::from(self.raw)
    }
}

impl<T: IdNewtype> From<T> for StoredId<T> {
    fn from(id: T) -> Self {
        StoredId { raw: id.into(), id: std::marker::PhantomData }
    }
}

impl From<StoredId<domain::RetireeId>> for domain::RetireeId {
    fn from(s: StoredId<domain::RetireeId>) -> Self {
        s.id()
    }
}

impl<T: IdNewtype, DB> FromSql<BigInt, DB> for StoredId<T>
where
    DB: Backend,
    i64: FromSql<BigInt, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let raw = <i64 as FromSql<BigInt, DB>>::from_sql(bytes)?;
        Ok(StoredId { raw, id: std::marker::PhantomData })
    }
}

impl<T: IdNewtype, DB> ToSql<BigInt, DB> for StoredId<T>
where
    DB: Backend,
    i64: ToSql<BigInt, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        <i64 as ToSql<BigInt, DB>>::to_sql(&self.raw, out)
    }
}
