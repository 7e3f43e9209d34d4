//! A retiree roster job: every row through the checks of a single create, staged, checked against the
//! database and merged set-based in one transaction.

use super::*;
use domain::ErrorCode;

/// What the reading thread hands to the database thread.
pub(crate) enum Staging {
    /// The file's header (JSON array), to record on the job.
    Header(String),
    /// A batch of checked rows and their flags.
    Batch(Vec<StagedRetiree>, Vec<StagedFlag>),
}

pub(crate) struct Pipeline<'a> {
    pub(crate) live: &'a Live,
    pub(crate) out: std::sync::mpsc::SyncSender<Staging>,
    pub(crate) header: Option<Header>,
    pub(crate) seen: HashMap<u64, u64>,
    pub(crate) rows: Vec<StagedRetiree>,
    pub(crate) flags: Vec<StagedFlag>,
    pub(crate) spool: Spool,
    pub(crate) rows_read: i64,
    /// The day the rows are checked on (the job's date).
    pub(crate) on: time::Date,
}

impl Pipeline<'_> {
    pub(crate) fn reject(&mut self, row: SourceRow, errors: &[FieldError]) -> Result<(), Stop> {
        self.live.rejected.fetch_add(1, Ordering::Relaxed);
        self.spool.push(row.line, row.cells, errors)?;
        Ok(())
    }

    pub(crate) fn row(&mut self, row: SourceRow) -> Result<(), Stop> {
        self.rows_read += 1;
        self.live.rows_read.fetch_add(1, Ordering::Relaxed);
        let Some(header) = &self.header else {
            return Err(Stop::Failed(AppError::internal("row before header")));
        };
        let (data, flags, has_flags, keep, last) = match check_row(header, &row, self.on) {
            Ok(checked) => checked,
            Err(errors) => return self.reject(row, &errors),
        };
        let line = row.line;
        if let Some(first) = self.seen.insert(id_key(&data.id_number), line) {
            self.seen.insert(id_key(&data.id_number), first);
            let e = FieldError::with(
                "id_number",
                ErrorCode::DuplicateInFile,
                format!("该公民身份号码在文件第{first}行已出现"),
                format!("this resident ID appears already on line {first}"),
            );
            return self.reject(row, &[e]);
        }
        for f in flags {
            self.flags.push(StagedFlag {
                line: line as i64,
                group_code: f.group_code,
                from_date: f.from_date,
                to_date: f.to_date,
            });
        }
        self.rows.push(StagedRetiree {
            line: line as i64,
            id_number: data.id_number,
            name: data.name,
            sex: data.sex,
            birth_date: data.birth_date,
            retirement_date: data.retirement_date,
            category: data.category,
            management_level: data.management_level,
            community_code: data.community_code,
            phone: data.phone,
            address: data.address,
            monthly_pension_fen: data.monthly_pension_fen,
            party_member: data.party_member,
            notes: data.notes,
            has_flags,
            keep,
            last_certified_on: last.map(|c| c.certified_on),
            last_certification_method: last.map(|c| c.method.as_str().to_owned()),
            id_number_hash: String::new(),
        });
        if self.rows.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    /// Hands the batch to the database thread (which stops the reading when it failed).
    pub(crate) fn flush(&mut self) -> Result<(), Stop> {
        if self.rows.is_empty() && self.flags.is_empty() {
            return Ok(());
        }
        let batch = Staging::Batch(std::mem::take(&mut self.rows), std::mem::take(&mut self.flags));
        self.rows.reserve(BATCH);
        self.out.send(batch).map_err(|_| Stop::Failed(AppError::internal("staging stopped")))
    }
}

/// What a row checked as a single create is: its data, its special-group flags, whether the file gave any (an
/// empty cell keeps a person's flags on update, the clear marker removes them) and the columns an update keeps
/// ([`bulk::KEEPABLE`] bits); or the broken rules named by column.
/// Last: the person's last certification the row loads (issue 19.2).
pub(crate) type CheckedRow =
    (RetireeData, Vec<GroupFlag>, bool, i64, Option<crate::retirees::registration::LoadedCertification>);

/// The checks of one data row, before the database: the header's width, the clear markers, the cells
/// ([`retiree_file::to_request`]) and the checks of a single create
/// ([`crate::retirees::registration::validate_new`]).
pub(crate) fn check_row(header: &Header, row: &SourceRow, on: time::Date) -> Result<CheckedRow, Vec<FieldError>> {
    let mut cells = header.cells(row)?;
    let mut errors = Vec::new();
    let mut cleared = Vec::new();
    for (column, value) in &mut cells {
        if retiree_file::is_clear_marker(value) {
            if retiree_file::CLEARABLE.contains(column) {
                cleared.push(*column);
                value.clear();
            } else {
                errors.push(FieldError::of(*column, ErrorCode::CannotClear));
            }
        }
    }
    // An update keeps a column the file lacks or whose cell is empty; a cleared one it writes empty.
    let keep = bulk::KEEPABLE
        .iter()
        .filter(|(column, _)| {
            !cleared.contains(column)
                && cells.iter().find(|(c, _)| c == column).is_none_or(|(_, v)| v.trim().is_empty())
        })
        .map(|(_, bit)| bit)
        .sum();
    let request = retiree_file::to_request(&cells, &mut errors);
    let checked = match request {
        Some(req) if errors.is_empty() => match crate::retirees::registration::validate_new(req, on) {
            Ok(ok) => Some(ok),
            Err(e) => {
                errors.extend(e.into_iter().map(|mut f| {
                    f.field = column_of_pointer(&f.field);
                    f
                }));
                None
            }
        },
        _ => None,
    };
    let Some((data, flags, last)) = checked else { return Err(errors) };
    let has_flags = cleared.contains(&"special_groups")
        || cells.iter().any(|(c, v)| *c == "special_groups" && !v.trim().is_empty());
    Ok((data, flags, has_flags, keep, last))
}

/// The cells of a refused staged row, in the file's column order.
pub(crate) fn refused_cells(header: &Header, r: &Refused, flags: &[StagedFlag]) -> Vec<String> {
    let groups: Vec<persistence::retirees::GroupFlag> = flags
        .iter()
        .filter(|f| f.line == r.line)
        .map(|f| persistence::retirees::GroupFlag {
            group_code: f.group_code.clone(),
            from_date: f.from_date,
            to_date: f.to_date,
        })
        .collect();
    header
        .columns
        .iter()
        .map(|c| match c {
            Some("name") => r.name.clone(),
            Some("id_number") => r.id_number.clone(),
            Some("sex") => r.sex.clone(),
            Some("birth_date") => r.birth_date.to_string(),
            Some("retirement_date") => r.retirement_date.to_string(),
            Some("category") => r.category.clone(),
            Some("management_level") => r.management_level.clone(),
            Some("community_code") => r.community_code.clone(),
            Some("phone") => r.phone.clone().unwrap_or_default(),
            Some("address") => r.address.clone().unwrap_or_default(),
            Some("monthly_pension") => {
                r.monthly_pension_fen.map(|f| domain::Money::from_fen(f).to_string()).unwrap_or_default()
            }
            Some("party_member") => r.party_member.to_string(),
            Some("special_groups") => retiree_file::format_groups(&groups),
            Some("notes") => r.notes.clone().unwrap_or_default(),
            Some("last_certified_on") => r.last_certified_on.map(|d| d.to_string()).unwrap_or_default(),
            Some("last_certification_method") => r.last_certification_method.clone().unwrap_or_default(),
            _ => String::new(),
        })
        .collect()
}

pub(crate) fn refusal(r: &Refused) -> FieldError {
    match r.code.as_str() {
        "not_a_community" => FieldError::of("community_code", ErrorCode::NotACommunity),
        "id_number_taken" => FieldError::of("id_number", ErrorCode::IdNumberTaken),
        _ => FieldError::of("community_code", ErrorCode::CommunityNotFound),
    }
}

pub(crate) fn counters(live: &Live, rows_read: i64) -> Counters {
    Counters {
        bytes_read: live.done.load(Ordering::Relaxed),
        rows_read,
        rejected: live.rejected.load(Ordering::Relaxed),
        ..Counters::default()
    }
}

/// Reads, checks, stages and merges. `Err` only for internal failures (the caller records them).
pub(crate) fn execute(conn: &mut DbConnection, pool: &Pool, live: &Live, job: &Job) -> Result<(), AppError> {
    jobs::start(conn, job.id)?;
    bulk::begin(conn)?;
    persistence::bulk_cache::widen(conn)?;
    let is_pg = matches!(conn, DbConnection::Pg(_));
    let started = std::time::Instant::now();
    // Two threads: this one reads and checks rows, the other stages the checked batches in the database, so
    // that parsing and the database work overlap.
    let (out, batches) = std::sync::mpsc::sync_channel::<Staging>(2);
    let mut p = Pipeline {
        live,
        out,
        header: None,
        seen: HashMap::new(),
        rows: Vec::with_capacity(BATCH),
        flags: Vec::new(),
        spool: Spool::new(job.dir.path())?,
        rows_read: 0,
        on: job.on,
    };
    let (read, staged) = std::thread::scope(|scope| {
        let stager = scope.spawn(|| -> Result<(), AppError> {
            let mut last_flush = std::time::Instant::now();
            for message in batches {
                match message {
                    Staging::Header(json) => jobs::set_header(conn, job.id, &json)?,
                    Staging::Batch(rows, flags) => bulk::stage(conn, &rows, &flags)?,
                }
                // Progress for other replicas (PostgreSQL only: on SQLite this process is the only one).
                if is_pg && last_flush.elapsed() > std::time::Duration::from_secs(2) {
                    last_flush = std::time::Instant::now();
                    if let Ok(mut other) = pool.get() {
                        let c = counters(live, live.rows_read.load(Ordering::Relaxed));
                        let _ = jobs::progress(&mut other, job.id, &c);
                    }
                }
            }
            Ok(())
        });
        let read = read_rows(
            &retiree_file::RETIREES,
            job.format,
            &job.path,
            job.unpacked_limit,
            job.dir.path(),
            live,
            &mut |event| {
                match event {
                    Event::Header(names) => {
                        let header = header_of(names, &retiree_file::RETIREES).map_err(Stop::Header)?;
                        let json = serde_json::to_string(&header.names).map_err(AppError::internal)?;
                        p.out.send(Staging::Header(json)).map_err(|_| AppError::internal("staging stopped"))?;
                        p.header = Some(header);
                    }
                    Event::Row(row) => p.row(row)?,
                }
                Ok(())
            },
        )
        .and_then(|()| p.flush());
        // Closing the channel ends the stager.
        let (sink, _) = std::sync::mpsc::sync_channel(0);
        drop(std::mem::replace(&mut p.out, sink));
        let staged = stager.join().unwrap_or_else(|_| Err(AppError::internal("the staging thread panicked")));
        (read, staged)
    });
    // A database failure is the real cause when both sides stopped.
    staged?;
    let header_problems = match read {
        Ok(()) if p.header.is_none() => Some(vec![FieldError::with(
            "header",
            ErrorCode::EmptyFile,
            "文件没有表头或数据行",
            "the file has no header or data rows",
        )]),
        Ok(()) => None,
        Err(Stop::Header(problems)) => Some(problems),
        Err(Stop::Failed(e)) => return Err(e),
    };
    let rows_read = p.rows_read;
    if let Some(problems) = header_problems {
        // The whole file is refused: nothing was staged for merging.
        let mut c = counters(live, rows_read);
        c.rejected = 0;
        return write_tx(conn, |conn| refuse_file(conn, job.id, &problems, &c));
    }
    let Some(header) = p.header.take() else { return Err(AppError::internal("no header")) };
    let mut spool = p.spool;
    let scope = job.caller.scope_path.clone();
    let flags_of_refused = |conn: &mut DbConnection, refused: &[Refused]| -> Result<Vec<Bad>, AppError> {
        let flags = if refused.is_empty() { Vec::new() } else { bulk::refused_flags(conn)? };
        Ok(refused
            .iter()
            .map(|r| Bad {
                line: r.line as u64,
                cells: refused_cells(&header, r, &flags),
                errors: {
                    let e = refusal(r);
                    vec![(e.field, e.code, e.message.zh, e.message.en)]
                },
            })
            .collect())
    };
    enum Merge {
        Done,
        Refused(Vec<Bad>),
    }
    let who = ImportActor {
        job_id: job.id,
        actor: &job.caller.login,
        role: job.caller.role.as_str(),
        client_ip: job.caller.client_ip.as_deref(),
        request_id: Some(job.caller.request_id.as_str()),
    };
    let rejected_in_rows = live.rejected.load(Ordering::Relaxed);
    log::info!("import {}: {rows_read} rows read and staged in {:.1?}", job.id, started.elapsed());
    let merging = std::time::Instant::now();
    let merged = write_tx(conn, |conn| -> Result<Merge, AppError> {
        let refused = bulk::check(conn, &scope, job.on_conflict)?;
        log::info!("import {}: database checks in {:.1?}", job.id, merging.elapsed());
        let bad = flags_of_refused(conn, &refused)?;
        if job.mode == Mode::Atomic && (rejected_in_rows > 0 || !bad.is_empty()) {
            return Ok(Merge::Refused(bad));
        }
        first_validity(conn, job.on)?;
        let merged = bulk::merge(conn, &who, persistence::now_utc(), job.on)?;
        log::info!("import {}: merged in {:.1?} ({merged:?})", job.id, merging.elapsed());
        let field_changes = serde_json::to_value(&merged.field_changes).map_err(AppError::internal)?;
        if job.on_conflict == OnConflict::Update {
            jobs::set_field_changes(conn, job.id, &field_changes.to_string())?;
        }
        let rejected = rejected_in_rows + bad.len() as i64;
        spool.store(conn, job.id, bad)?;
        let c = Counters {
            bytes_read: live.done.load(Ordering::Relaxed),
            rows_read,
            created: merged.created,
            updated: merged.updated,
            skipped: merged.skipped,
            rejected,
        };
        // Issue 22: a partial import where rows were rejected does not end `succeeded`.
        let accepted = c.created + c.updated + c.skipped;
        let status = jobs::merged_status(accepted, rejected);
        let note = rejected_note(status, rejected);
        jobs::finish(conn, job.id, status, &c, note.as_ref().map(|m| ("rows_rejected", m.as_str())))?;
        let mut entry = job.caller.audit("retiree.import", "import_job", job.id, &scope);
        entry.detail = Some(
            serde_json::json!({"mode": job.mode, "on_conflict": conflict_code(job.on_conflict),
                "format": job.format.as_str(), "rows": rows_read, "created": merged.created,
                "updated": merged.updated, "skipped": merged.skipped, "rejected": rejected,
                "field_changes": field_changes})
            .to_string(),
        );
        persistence::audit::append(conn, &entry)?;
        Ok(Merge::Done)
    })?;
    if let Merge::Refused(bad) = merged {
        // Atomic with bad rows: the transaction above wrote nothing; record the report and the refusal.
        let rejected = rejected_in_rows + bad.len() as i64;
        write_tx(conn, |conn| -> Result<(), AppError> {
            spool.store(conn, job.id, bad)?;
            let c = Counters { rejected, ..counters(live, rows_read) };
            jobs::finish(
                conn,
                job.id,
                "rejected",
                &c,
                Some((
                    "rows_rejected",
                    &format!(
                        "{rejected} 行未通过校验，按 atomic 模式未写入任何数据 / {rejected} rows failed; nothing was written (atomic)"
                    ),
                )),
            )?;
            let mut entry = job.caller.audit("retiree.import", "import_job", job.id, &scope);
            entry.outcome = "rejected".into();
            entry.detail = Some(serde_json::json!({"rows": rows_read, "rejected": rejected}).to_string());
            persistence::audit::append(conn, &entry)?;
            Ok(())
        })?;
    }
    Ok(())
}

/// The job's error when every row was rejected in partial mode (nothing was written); the counts tell the rest.
pub(crate) fn rejected_note(status: &str, rejected: i64) -> Option<String> {
    (status == "rejected").then(|| {
        format!("全部 {rejected} 行未通过校验，未写入任何数据 / all {rejected} rows failed; nothing was written")
    })
}

/// The first certification validity of the people an import creates: one period of their community's policy
/// from today, the registration date (CS Art. 16(2)), or from the last certification the row loads (issue 19.2);
/// set-based, one statement per distinct date.
pub(crate) fn first_validity(conn: &mut persistence::DbConnection, on: time::Date) -> Result<(), AppError> {
    let book = crate::policy_book::PolicyBook::load(conn, on)?;
    let mut by_date: std::collections::BTreeMap<time::Date, Vec<String>> = std::collections::BTreeMap::new();
    for c in bulk::communities_to_create(conn)? {
        let until = domain::pension::certified_until(on, book.rules_at(&c.path).period_months);
        by_date.entry(until).or_default().push(c.community_code);
    }
    let default = by_date
        .iter()
        .max_by_key(|(_, codes)| codes.len())
        .map_or_else(|| domain::pension::certified_until(on, book.rules_at("").period_months), |(d, _)| *d);
    let others: Vec<(time::Date, Vec<String>)> = by_date.into_iter().filter(|(d, _)| *d != default).collect();
    bulk::set_certified_until(conn, default, &others)?;
    // Issue 19.2: a row loading the person's real last certification is valid one period (of the community's
    // policy on that date) after it, so a person overdue is overdue at once (CS Art. 16(2), 32(1)).
    let mut loaded = bulk::loaded_to_create(conn)?.into_iter().peekable();
    while let Some(first) = loaded.next() {
        let date = first.last_certified_on;
        let book = crate::policy_book::PolicyBook::load(conn, date)?;
        let mut by_until: std::collections::BTreeMap<time::Date, Vec<String>> = std::collections::BTreeMap::new();
        let mut add = |c: bulk::StagedLoaded| {
            let until = domain::pension::certified_until(date, book.rules_at(&c.path).period_months);
            by_until.entry(until).or_default().push(c.community_code);
        };
        add(first);
        while let Some(c) = loaded.next_if(|c| c.last_certified_on == date) {
            add(c);
        }
        for (until, codes) in by_until {
            bulk::set_loaded_until(conn, until, date, &codes)?;
        }
    }
    Ok(())
}
