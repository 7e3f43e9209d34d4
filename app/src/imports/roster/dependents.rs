//! A dependants job: each row matched to a registered retiree of the caller's subtree and created or updated.

use super::*;
use domain::ErrorCode;

/// Imports dependants row by row inside one write transaction (files of dependants are a fraction of a roster):
/// each row goes through the checks of `POST /retirees/{id}/dependents`, and its retiree must be registered in
/// the caller's subtree. In atomic mode any bad row rolls everything back.
pub(crate) fn execute_dependents(conn: &mut DbConnection, live: &Live, job: &Job) -> Result<(), AppError> {
    use persistence::retirees as repo;
    jobs::start(conn, job.id)?;
    let scope = job.caller.scope_path.clone();
    let mut spool = Spool::new(job.dir.path())?;
    let mut header: Option<Header> = None;
    let mut counters = Counters::default();
    let mut header_problems: Option<Vec<FieldError>> = None;
    let mut retirees: HashMap<String, Option<(i64, String, String)>> = HashMap::new();
    let mut seen: HashSet<(i64, u64)> = HashSet::new();
    /// Why the transaction is rolled back.
    enum Halt {
        Rolled,
        Failed(AppError),
    }
    impl From<AppError> for Halt {
        fn from(e: AppError) -> Self {
            Halt::Failed(e)
        }
    }
    impl From<persistence::RepoError> for Halt {
        fn from(e: persistence::RepoError) -> Self {
            Halt::Failed(e.into())
        }
    }
    impl From<persistence::DieselError> for Halt {
        fn from(e: persistence::DieselError) -> Self {
            Halt::Failed(e.into())
        }
    }
    let who = |action: &str, retiree_id: i64, object: i64, path: &str, line: u64| {
        let mut entry = job.caller.audit(action, "dependent", object, path);
        entry.retiree_id = Some(retiree_id);
        entry.detail = Some(serde_json::json!({"import_id": job.id, "line": line}).to_string());
        entry
    };
    let end = write_tx(conn, |conn| -> Result<(), Halt> {
        let read = read_rows(
            &retiree_file::DEPENDENTS,
            job.format,
            &job.path,
            job.unpacked_limit,
            job.dir.path(),
            live,
            &mut |event| {
                let row = match event {
                    Event::Header(names) => {
                        let h = header_of(names, &retiree_file::DEPENDENTS).map_err(Stop::Header)?;
                        let json = serde_json::to_string(&h.names).map_err(AppError::internal)?;
                        jobs::set_header(conn, job.id, &json).map_err(AppError::from)?;
                        header = Some(h);
                        return Ok(());
                    }
                    Event::Row(row) => row,
                };
                counters.rows_read += 1;
                live.rows_read.fetch_add(1, Ordering::Relaxed);
                let Some(h) = &header else { return Err(Stop::Failed(AppError::internal("row before header"))) };
                let mut reject = |row: SourceRow, errors: &[FieldError]| -> Result<(), Stop> {
                    live.rejected.fetch_add(1, Ordering::Relaxed);
                    spool.push(row.line, row.cells, errors)?;
                    Ok(())
                };
                let cells = match h.cells(&row) {
                    Ok(cells) => cells,
                    Err(problems) => return reject(row, &problems),
                };
                let mut errors = Vec::new();
                let Some((retiree_id_number, request)) = retiree_file::to_dependent(&cells, &mut errors) else {
                    return reject(row, &errors);
                };
                if !errors.is_empty() {
                    return reject(row, &errors);
                }
                let key = retiree_id_number.to_ascii_uppercase();
                if !retirees.contains_key(&key) {
                    let found = repo::find_by_id_number(conn, &key, &scope).map_err(AppError::from)?;
                    retirees.insert(key.clone(), found.map(|(r, path)| (r.id, path, r.id_number)));
                }
                let Some(Some((retiree_id, path, own_id))) = retirees.get(&key).cloned() else {
                    let e = FieldError::with(
                        "retiree_id_number",
                        ErrorCode::RetireeNotFound,
                        "您的管辖范围内没有该公民身份号码的退休人员",
                        "no retiree with this resident ID in your jurisdiction",
                    );
                    return reject(row, &[e]);
                };
                let data = match crate::retirees::dependents::validate_new(&request, &own_id, job.on) {
                    Ok(d) => d,
                    Err(e) => {
                        let e: Vec<FieldError> = e
                            .into_iter()
                            .map(|mut f| {
                                f.field = column_of_pointer(&f.field);
                                f
                            })
                            .collect();
                        return reject(row, &e);
                    }
                };
                if !seen.insert((retiree_id, id_key(&data.id_number))) {
                    let e = FieldError::with(
                        "id_number",
                        ErrorCode::DuplicateInFile,
                        "该供养亲属在文件中重复",
                        "this dependant appears twice in the file",
                    );
                    return reject(row, &[e]);
                }
                let existing =
                    repo::find_dependent_by_id_number(conn, retiree_id, &data.id_number).map_err(AppError::from)?;
                let rules = crate::policy_book::rules_at(conn, &path, job.on)?;
                let validity = crate::retirees::registration::first_validity(job.on, rules);
                match (existing, job.on_conflict) {
                    (None, _) => {
                        let d = repo::create_dependent(conn, retiree_id, &data, validity).map_err(AppError::from)?;
                        persistence::audit::append(
                            conn,
                            &who("dependent.import.create", retiree_id, d.id, &path, row.line),
                        )
                        .map_err(AppError::from)?;
                        counters.created += 1;
                    }
                    (Some(_), OnConflict::Skip) => counters.skipped += 1,
                    (Some(d), OnConflict::Update) => {
                        let restart = (!d.supported && data.supported).then_some(validity);
                        repo::update_dependent(conn, d.id, d.version, &data, restart).map_err(AppError::from)?;
                        persistence::audit::append(
                            conn,
                            &who("dependent.import.update", retiree_id, d.id, &path, row.line),
                        )
                        .map_err(AppError::from)?;
                        counters.updated += 1;
                    }
                    (Some(_), OnConflict::Error) => {
                        let e = FieldError::of("id_number", ErrorCode::DependentIdNumberTaken);
                        return reject(row, &[e]);
                    }
                }
                Ok(())
            },
        );
        match read {
            Ok(()) if header.is_none() => {
                header_problems = Some(vec![FieldError::with(
                    "header",
                    ErrorCode::EmptyFile,
                    "文件没有表头或数据行",
                    "the file has no header or data rows",
                )]);
                return Err(Halt::Rolled);
            }
            Ok(()) => {}
            Err(Stop::Header(problems)) => {
                header_problems = Some(problems);
                return Err(Halt::Rolled);
            }
            Err(Stop::Failed(e)) => return Err(Halt::Failed(e)),
        }
        counters.rejected = live.rejected.load(Ordering::Relaxed);
        counters.bytes_read = live.done.load(Ordering::Relaxed);
        if job.mode == Mode::Atomic && counters.rejected > 0 {
            return Err(Halt::Rolled);
        }
        spool.store(conn, job.id, Vec::new())?;
        let accepted = counters.created + counters.updated + counters.skipped;
        let status = jobs::merged_status(accepted, counters.rejected);
        let note = super::retirees::rejected_note(status, counters.rejected);
        jobs::finish(conn, job.id, status, &counters, note.as_ref().map(|m| ("rows_rejected", m.as_str())))?;
        let mut entry = job.caller.audit("dependent.import", "import_job", job.id, &scope);
        entry.detail = Some(
            serde_json::json!({"rows": counters.rows_read, "created": counters.created, "updated": counters.updated,
                "skipped": counters.skipped, "rejected": counters.rejected})
            .to_string(),
        );
        persistence::audit::append(conn, &entry)?;
        Ok(())
    });
    match end {
        Ok(()) => Ok(()),
        Err(Halt::Failed(e)) => Err(e),
        Err(Halt::Rolled) => {
            // Nothing of the file was kept; record why.
            let rows_read = counters.rows_read;
            let c = Counters { rows_read, bytes_read: live.done.load(Ordering::Relaxed), ..Counters::default() };
            write_tx(conn, |conn| -> Result<(), AppError> {
                if let Some(problems) = &header_problems {
                    refuse_file(conn, job.id, problems, &c)
                } else {
                    let rejected = live.rejected.load(Ordering::Relaxed);
                    spool.store(conn, job.id, Vec::new())?;
                    let message = format!(
                        "{rejected} 行未通过校验，按 atomic 模式未写入任何数据 / {rejected} rows failed; nothing was written (atomic)"
                    );
                    jobs::finish(
                        conn,
                        job.id,
                        "rejected",
                        &Counters { rejected, ..c },
                        Some(("rows_rejected", &message)),
                    )?;
                    Ok(())
                }
            })
        }
    }
}
