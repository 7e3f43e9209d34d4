//! Volunteers (issue 25; CS Art. 22; JN Art. 7(9)): volunteers in the pool of a city or district node and their
//! service records. A volunteer is seen from the subtree of its pool and from every node below the pool (a city
//! volunteer serves any district): [`visible_pools`] gives the filter.

use diesel::prelude::*;
use time::{Date, PrimitiveDateTime};

use crate::schema::{jurisdictions, volunteer_services, volunteers};
use crate::{DbConnection, RepoError, RepoResult};

/// A volunteer.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = volunteers)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Volunteer {
    /// Id.
    pub id: i64,
    /// The pool (a city or district node).
    pub pool_code: String,
    /// Name.
    pub name: String,
    /// The retiree, if the volunteer is one.
    pub retiree_id: Option<i64>,
    /// Skills, JSON list of text.
    pub skills: String,
    /// Availability.
    pub availability: Option<String>,
    /// Organisation.
    pub organisation: Option<String>,
    /// Login.
    pub created_by: String,
    /// When.
    pub created_at: PrimitiveDateTime,
    /// Version.
    pub version: i64,
}

/// A new volunteer.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = volunteers)]
pub struct NewVolunteer {
    /// Pool.
    pub pool_code: String,
    /// Name.
    pub name: String,
    /// Retiree.
    pub retiree_id: Option<i64>,
    /// Skills JSON.
    pub skills: String,
    /// Availability.
    pub availability: Option<String>,
    /// Organisation.
    pub organisation: Option<String>,
    /// Login.
    pub created_by: String,
    /// Now.
    pub created_at: PrimitiveDateTime,
    /// Version.
    pub version: i64,
}

/// A new service record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = volunteer_services)]
pub struct NewService {
    /// Volunteer.
    pub volunteer_id: i64,
    /// Day.
    pub served_on: Date,
    /// Where (a node in the recorder's subtree).
    pub community_code: String,
    /// Whom.
    pub retiree_id: Option<i64>,
    /// The activity served at.
    pub activity_id: Option<i64>,
    /// What.
    pub what: String,
    /// Tenths of an hour.
    pub tenths: i32,
    /// Login.
    pub created_by: String,
    /// Now.
    pub created_at: PrimitiveDateTime,
    /// The visit the service was given on (issue 25).
    pub visit_id: Option<i64>,
}

/// A service record with its volunteer's name (the services of a visit, an activity, a year).
#[derive(Debug, Clone, Queryable, PartialEq)]
pub struct LinkedService {
    /// Id.
    pub id: i64,
    /// Volunteer.
    pub volunteer_id: i64,
    /// The volunteer's name.
    pub volunteer_name: String,
    /// Day.
    pub served_on: Date,
    /// Where.
    pub community_code: String,
    /// Whom.
    pub retiree_id: Option<i64>,
    /// Visit.
    pub visit_id: Option<i64>,
    /// Activity.
    pub activity_id: Option<i64>,
    /// What.
    pub what: String,
    /// Tenths of an hour.
    pub tenths: i32,
}

/// Which service records to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServiceFilter {
    /// Only those given on this visit.
    pub visit_id: Option<i64>,
    /// Only those given at this activity.
    pub activity_id: Option<i64>,
    /// Only those given from this day.
    pub from: Option<Date>,
    /// Only those given up to this day.
    pub to: Option<Date>,
    /// Only those of this volunteer.
    pub volunteer_id: Option<i64>,
    /// Only those after this id (a page's cursor).
    pub after: Option<i64>,
}

/// The service records given at nodes in the subtree at `scope_path` that `filter` asks for, by id, at most
/// `limit`.
pub fn services(
    conn: &mut DbConnection,
    scope_path: &str,
    filter: ServiceFilter,
    limit: i64,
) -> RepoResult<Vec<LinkedService>> {
    let mut q = volunteer_services::table
        .inner_join(volunteers::table)
        .inner_join(jurisdictions::table.on(jurisdictions::code.eq(volunteer_services::community_code)))
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .into_boxed();
    if let Some(v) = filter.visit_id {
        q = q.filter(volunteer_services::visit_id.eq(v));
    }
    if let Some(a) = filter.activity_id {
        q = q.filter(volunteer_services::activity_id.eq(a));
    }
    if let Some(f) = filter.from {
        q = q.filter(volunteer_services::served_on.ge(f));
    }
    if let Some(t) = filter.to {
        q = q.filter(volunteer_services::served_on.le(t));
    }
    if let Some(v) = filter.volunteer_id {
        q = q.filter(volunteer_services::volunteer_id.eq(v));
    }
    if let Some(a) = filter.after {
        q = q.filter(volunteer_services::id.gt(a));
    }
    Ok(q.order(volunteer_services::id)
        .limit(limit)
        .select((
            volunteer_services::id,
            volunteer_services::volunteer_id,
            volunteers::name,
            volunteer_services::served_on,
            volunteer_services::community_code,
            volunteer_services::retiree_id,
            volunteer_services::visit_id,
            volunteer_services::activity_id,
            volunteer_services::what,
            volunteer_services::tenths,
        ))
        .load(conn)?)
}

/// The paths of the nodes whose pools a caller at `scope_path` sees besides its subtree: the nodes above it.
pub fn ancestors(scope_path: &str) -> Vec<String> {
    scope_path
        .char_indices()
        .filter(|(i, c)| *c == '/' && *i > 0 && *i + 1 < scope_path.len())
        .map(|(i, _)| scope_path[..=i].to_owned())
        .collect()
}

/// Inserts a volunteer; answers it.
pub fn create(conn: &mut DbConnection, new: &NewVolunteer) -> RepoResult<Volunteer> {
    diesel::insert_into(volunteers::table).values(new).execute(conn)?;
    Ok(volunteers::table
        .filter(volunteers::created_by.eq(&new.created_by))
        .order(volunteers::id.desc())
        .select(Volunteer::as_select())
        .first(conn)?)
}

/// The volunteer `id` if a caller at `scope_path` sees its pool (its subtree, or a node above it).
pub fn find_visible(conn: &mut DbConnection, id: i64, scope_path: &str) -> RepoResult<Volunteer> {
    let found = volunteers::table
        .inner_join(jurisdictions::table)
        .filter(volunteers::id.eq(id))
        .filter(crate::jurisdictions::in_subtree(scope_path).or(jurisdictions::path.eq_any(ancestors(scope_path))))
        .select(Volunteer::as_select())
        .first(conn)
        .optional()?;
    found.ok_or(RepoError::NotFound)
}

/// A page of the volunteers a caller at `scope_path` sees, by id; only of `pool` when given.
pub fn list(
    conn: &mut DbConnection,
    scope_path: &str,
    pool: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> RepoResult<Vec<Volunteer>> {
    let mut q = volunteers::table
        .inner_join(jurisdictions::table)
        .filter(crate::jurisdictions::in_subtree(scope_path).or(jurisdictions::path.eq_any(ancestors(scope_path))))
        .into_boxed();
    if let Some(p) = pool {
        q = q.filter(volunteers::pool_code.eq(p.to_owned()));
    }
    if let Some(a) = after {
        q = q.filter(volunteers::id.gt(a));
    }
    Ok(q.order(volunteers::id).limit(limit).select(Volunteer::as_select()).load(conn)?)
}

/// Files a service record.
pub fn add_service(conn: &mut DbConnection, new: &NewService) -> RepoResult<i64> {
    diesel::insert_into(volunteer_services::table).values(new).execute(conn)?;
    Ok(volunteer_services::table
        .filter(volunteer_services::volunteer_id.eq(new.volunteer_id))
        .order(volunteer_services::id.desc())
        .select(volunteer_services::id)
        .first(conn)?)
}

/// Per volunteer: (volunteer, tenths, records) of the services given from `from` to `to` at nodes in the subtree
/// at `scope_path`, by volunteer id.
pub fn hours(
    conn: &mut DbConnection,
    scope_path: &str,
    from: Date,
    to: Date,
) -> RepoResult<Vec<(Volunteer, i64, i64)>> {
    let rows: Vec<(i64, i32)> = volunteer_services::table
        .inner_join(jurisdictions::table.on(jurisdictions::code.eq(volunteer_services::community_code)))
        .filter(crate::jurisdictions::in_subtree(scope_path))
        .filter(volunteer_services::served_on.ge(from))
        .filter(volunteer_services::served_on.le(to))
        .order(volunteer_services::volunteer_id)
        .select((volunteer_services::volunteer_id, volunteer_services::tenths))
        .load(conn)?;
    let mut out: Vec<(Volunteer, i64, i64)> = Vec::new();
    for (id, tenths) in rows {
        match out.last_mut() {
            Some((v, t, n)) if v.id == id => {
                *t += i64::from(tenths);
                *n += 1;
            }
            _ => {
                let v = volunteers::table.find(id).select(Volunteer::as_select()).first(conn)?;
                out.push((v, i64::from(tenths), 1));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ancestors_of_a_path() {
        assert_eq!(super::ancestors("/3502/350203/350203001/"), vec!["/3502/".to_owned(), "/3502/350203/".to_owned()]);
        assert!(super::ancestors("/3502/").is_empty());
    }
}
