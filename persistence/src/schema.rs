//! Diesel table definitions, written by hand for the column types both backends share.

diesel::table! {
    jurisdictions (code) {
        code -> Text,
        name -> Text,
        level -> Text,
        parent_code -> Nullable<Text>,
        path -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    jurisdiction_changes (id) {
        id -> BigInt,
        code -> Text,
        change -> Text,
        old_name -> Nullable<Text>,
        new_name -> Nullable<Text>,
        old_parent_code -> Nullable<Text>,
        new_parent_code -> Nullable<Text>,
        actor -> Text,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    accounts (id) {
        id -> BigInt,
        kind -> Text,
        login -> Text,
        secret_hash -> Text,
        display_name -> Text,
        role -> Text,
        jurisdiction_code -> Text,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        token_generation -> BigInt,
    }
}

diesel::table! {
    login_throttle (login) {
        login -> Text,
        failures -> Integer,
        window_started_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_address_throttle (address) {
        address -> Text,
        failures -> Integer,
        window_started_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    retention_marks (name) {
        name -> Text,
        up_to -> BigInt,
        swept_at -> Timestamp,
    }
}

diesel::table! {
    retirees (id) {
        id -> BigInt,
        id_number -> Text,
        name -> Text,
        sex -> Text,
        birth_date -> Date,
        retirement_date -> Date,
        category -> Text,
        management_level -> Text,
        community_code -> Text,
        phone -> Nullable<Text>,
        address -> Nullable<Text>,
        pension_status -> Text,
        monthly_pension_fen -> Nullable<BigInt>,
        party_member -> Bool,
        notes -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        suspension_reason -> Nullable<Text>,
        suspended_from -> Nullable<Date>,
        certified_until -> Date,
        last_certified_on -> Nullable<Date>,
        certification_barrier -> Nullable<Text>,
        status_run_id -> Nullable<BigInt>,
        on_roll -> Bool,
        remote_certification -> Bool,
        // Keyed hash of id_number (issue 21.10, encryption).
        id_number_hash -> Nullable<Text>,
    }
}

diesel::table! {
    retiree_special_groups (id) {
        id -> BigInt,
        retiree_id -> BigInt,
        group_code -> Text,
        from_date -> Date,
        to_date -> Nullable<Date>,
    }
}

diesel::table! {
    dependents (id) {
        id -> BigInt,
        retiree_id -> BigInt,
        relation -> Text,
        id_number -> Text,
        name -> Text,
        supported -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        certified_until -> Date,
        last_certified_on -> Nullable<Date>,
        support_suspended_from -> Nullable<Date>,
        status_run_id -> Nullable<BigInt>,
        // Keyed hash of id_number (issue 21.10, encryption).
        id_number_hash -> Nullable<Text>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        actor -> Text,
        actor_role -> Nullable<Text>,
        action -> Text,
        object_type -> Text,
        object_id -> Nullable<Text>,
        retiree_id -> Nullable<BigInt>,
        scope_path -> Text,
        outcome -> Text,
        client_ip -> Nullable<Text>,
        request_id -> Nullable<Text>,
        detail -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (actor, idempotency_key) {
        actor -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        status -> Integer,
        location -> Nullable<Text>,
        body -> Text,
        created_at -> Timestamp,
        etag -> Nullable<Text>,
    }
}

diesel::table! {
    policy_versions (id) {
        id -> BigInt,
        jurisdiction_code -> Text,
        version -> Integer,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
        preset -> Nullable<Text>,
        parameters -> Text,
        note -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        extends_beyond_term -> Bool,
    }
}

diesel::table! {
    calendar_days (day) {
        day -> Date,
        year -> Integer,
        kind -> Text,
        name -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    import_jobs (id) {
        id -> BigInt,
        kind -> Text,
        status -> Text,
        mode -> Text,
        on_conflict -> Text,
        format -> Text,
        actor -> Text,
        actor_role -> Text,
        scope_path -> Text,
        file_sha256 -> Text,
        bytes_total -> BigInt,
        bytes_read -> BigInt,
        rows_read -> BigInt,
        created -> BigInt,
        updated -> BigInt,
        skipped -> BigInt,
        rejected -> BigInt,
        header -> Nullable<Text>,
        error_code -> Nullable<Text>,
        error_message -> Nullable<Text>,
        created_at -> Timestamp,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
        field_changes -> Nullable<Text>,
    }
}

diesel::table! {
    import_errors (job_id, seq) {
        job_id -> BigInt,
        seq -> BigInt,
        line -> BigInt,
        field -> Text,
        code -> Text,
        message_zh -> Text,
        message_en -> Text,
    }
}

diesel::table! {
    import_rejected_rows (job_id, line) {
        job_id -> BigInt,
        line -> BigInt,
        cells -> Text,
    }
}

diesel::table! {
    /// Temporary (per connection) staging of a retiree import: the rows that passed the row checks.
    retiree_import_staging (line) {
        line -> BigInt,
        id_number -> Text,
        name -> Text,
        sex -> Text,
        birth_date -> Date,
        retirement_date -> Date,
        category -> Text,
        management_level -> Text,
        community_code -> Text,
        phone -> Nullable<Text>,
        address -> Nullable<Text>,
        monthly_pension_fen -> Nullable<BigInt>,
        party_member -> Bool,
        notes -> Nullable<Text>,
        has_flags -> Bool,
        keep -> BigInt,
        last_certified_on -> Nullable<Date>,
        last_certification_method -> Nullable<Text>,
        outcome -> Nullable<Text>,
        level -> Nullable<Text>,
        path -> Nullable<Text>,
        existing_id -> Nullable<BigInt>,
        existing_path -> Nullable<Text>,
        // Keyed hash of id_number (issue 21.10, encryption).
        id_number_hash -> Text,
    }
}

diesel::table! {
    /// Temporary staging of the special-group flags of a retiree import.
    retiree_import_flags (line, group_code, from_date) {
        line -> BigInt,
        group_code -> Text,
        from_date -> Date,
        to_date -> Nullable<Date>,
    }
}

diesel::table! {
    pension_status_changes (id) {
        id -> BigInt,
        retiree_id -> BigInt,
        community_code -> Text,
        from_status -> Text,
        from_reason -> Nullable<Text>,
        to_status -> Text,
        reason -> Nullable<Text>,
        effective_month -> Date,
        source -> Text,
        source_ref -> Nullable<BigInt>,
        operator -> Text,
        months_suspended -> Nullable<Integer>,
        back_pay_granted -> Nullable<Bool>,
        back_pay_months -> Nullable<Integer>,
        back_pay_fen -> Nullable<BigInt>,
        note -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    certifications (id) {
        id -> BigInt,
        retiree_id -> BigInt,
        method -> Text,
        data_source -> Nullable<Text>,
        provider -> Nullable<Text>,
        provider_reference -> Nullable<Text>,
        score -> Nullable<Text>,
        certifier_name -> Nullable<Text>,
        evidence -> Nullable<Text>,
        certified_on -> Date,
        valid_until -> Date,
        source -> Text,
        source_ref -> Nullable<BigInt>,
        operator -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    certification_tasks (id) {
        id -> BigInt,
        retiree_id -> BigInt,
        community_code -> Text,
        barrier -> Text,
        due_on -> Date,
        status -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        certification_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    missing_persons (id) {
        id -> BigInt,
        retiree_id -> BigInt,
        missing_since -> Date,
        reported_by -> Text,
        note -> Nullable<Text>,
        recorded_by -> Text,
        recorded_at -> Timestamp,
        found_on -> Nullable<Date>,
        found_note -> Nullable<Text>,
        closed_by -> Nullable<Text>,
        closed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    certification_runs (id) {
        id -> BigInt,
        jurisdiction_code -> Text,
        scope_path -> Text,
        as_of -> Date,
        dry_run -> Bool,
        actor -> Text,
        suspended -> BigInt,
        already_suspended -> BigInt,
        tasks_created -> BigInt,
        summary -> Text,
        started_at -> Timestamp,
        finished_at -> Timestamp,
        dependents_suspended -> BigInt,
    }
}

diesel::table! {
    dependent_certifications (id) {
        id -> BigInt,
        dependent_id -> BigInt,
        retiree_id -> BigInt,
        method -> Text,
        data_source -> Nullable<Text>,
        provider -> Nullable<Text>,
        provider_reference -> Nullable<Text>,
        score -> Nullable<Text>,
        certifier_name -> Nullable<Text>,
        evidence -> Nullable<Text>,
        certified_on -> Date,
        valid_until -> Date,
        source -> Text,
        source_ref -> Nullable<BigInt>,
        operator -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    dependent_support_changes (id) {
        id -> BigInt,
        dependent_id -> BigInt,
        retiree_id -> BigInt,
        community_code -> Text,
        to_status -> Text,
        reason -> Text,
        effective_month -> Date,
        months_suspended -> Nullable<Integer>,
        back_pay_granted -> Nullable<Bool>,
        back_pay_months -> Nullable<Integer>,
        source -> Text,
        source_ref -> Nullable<BigInt>,
        operator -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    certification_run_items (run_id, retiree_id) {
        run_id -> BigInt,
        retiree_id -> BigInt,
        community_code -> Text,
        outcome -> Text,
    }
}

diesel::table! {
    feed_batches (id) {
        id -> BigInt,
        kind -> Text,
        batch_id -> Text,
        actor -> Text,
        scope_path -> Text,
        content_sha256 -> Text,
        records -> BigInt,
        matched -> BigInt,
        applied -> BigInt,
        unmatched -> BigInt,
        summary -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    feed_unmatched (feed_batch_id, line) {
        feed_batch_id -> BigInt,
        line -> BigInt,
        id_number -> Text,
        reason -> Text,
    }
}

diesel::table! {
    death_reports (id) {
        id -> BigInt,
        retiree_id -> BigInt,
        community_code -> Text,
        date_of_death -> Date,
        certificate_number -> Text,
        reporter_kind -> Text,
        reporter_name -> Text,
        reporter_relation -> Nullable<Text>,
        reported_on -> Date,
        deadline -> Date,
        late -> Bool,
        status -> Text,
        stop_month -> Date,
        prior_status -> Nullable<Text>,
        prior_reason -> Nullable<Text>,
        prior_suspended_from -> Nullable<Date>,
        condolence_fen -> Nullable<BigInt>,
        funeral_grant_fen -> Nullable<BigInt>,
        survivor_benefit_fen -> Nullable<BigInt>,
        note -> Nullable<Text>,
        verified_by -> Nullable<Text>,
        verified_at -> Nullable<Timestamp>,
        closed_reason -> Nullable<Text>,
        closed_by -> Nullable<Text>,
        closed_at -> Nullable<Timestamp>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    overpayments (id) {
        id -> BigInt,
        retiree_id -> BigInt,
        death_report_id -> BigInt,
        community_code -> Text,
        first_month -> Date,
        last_month -> Date,
        months -> Integer,
        monthly_fen -> BigInt,
        amount_fen -> BigInt,
        due_by -> Date,
        status -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    overpayment_entries (id) {
        id -> BigInt,
        overpayment_id -> BigInt,
        kind -> Text,
        amount_fen -> BigInt,
        entry_on -> Date,
        approved_by -> Nullable<Text>,
        note -> Nullable<Text>,
        operator -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    dependent_support (id) {
        id -> BigInt,
        retiree_id -> BigInt,
        dependent_id -> BigInt,
        death_report_id -> BigInt,
        community_code -> Text,
        applied_on -> Date,
        deadline -> Date,
        status -> Text,
        support_from -> Nullable<Date>,
        support_until -> Nullable<Date>,
        end_reason -> Nullable<Text>,
        fraud_note -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    dependent_support_steps (id) {
        id -> BigInt,
        application_id -> BigInt,
        step -> Text,
        passed -> Bool,
        on_date -> Date,
        note -> Nullable<Text>,
        operator -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    roster_movements (id) {
        id -> BigInt,
        retiree_id -> Nullable<BigInt>,
        community_code -> Text,
        kind -> Text,
        month -> Date,
        people -> BigInt,
        source_type -> Text,
        source_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    handover_batches (id) {
        id -> BigInt,
        employer_name -> Text,
        employer_credit_code -> Nullable<Text>,
        employer_community -> Text,
        month -> Date,
        jurisdiction_code -> Text,
        scope_path -> Text,
        status -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        version -> BigInt,
    }
}

diesel::table! {
    handover_items (id) {
        id -> BigInt,
        batch_id -> BigInt,
        seq -> Integer,
        name -> Text,
        id_number -> Text,
        party_member -> Bool,
        payload -> Text,
        residence_community -> Nullable<Text>,
        proposed_community -> Text,
        routing -> Text,
        community_code -> Text,
        override_reason -> Nullable<Text>,
        status -> Text,
        return_reason -> Nullable<Text>,
        retiree_id -> Nullable<BigInt>,
        settled_by -> Nullable<Text>,
        settled_at -> Nullable<Timestamp>,
        version -> BigInt,
    }
}

diesel::table! {
    handover_steps (id) {
        id -> BigInt,
        item_id -> BigInt,
        step -> Text,
        on_date -> Date,
        detail -> Nullable<Text>,
        operator -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    transfers (id) {
        id -> BigInt,
        retiree_id -> BigInt,
        from_community -> Text,
        to_community -> Nullable<Text>,
        destination -> Nullable<Text>,
        documents -> Text,
        applied_on -> Date,
        status -> Text,
        missing -> Nullable<Text>,
        completed_month -> Nullable<Date>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    transfer_steps (id) {
        id -> BigInt,
        transfer_id -> BigInt,
        step -> Text,
        on_date -> Date,
        note -> Nullable<Text>,
        operator -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reductions (id) {
        id -> BigInt,
        retiree_id -> BigInt,
        community_code -> Text,
        kind -> Text,
        reason -> Text,
        effective_month -> Date,
        source_type -> Text,
        source_id -> Nullable<BigInt>,
        reversed -> Bool,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    visit_tasks (id) {
        id -> BigInt,
        retiree_id -> BigInt,
        community_code -> Text,
        kind -> Text,
        due_on -> Date,
        status -> Text,
        done_on -> Nullable<Date>,
        done_by -> Nullable<Text>,
        note -> Nullable<Text>,
        source_type -> Text,
        source_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    festival_batches (id) {
        id -> BigInt,
        jurisdiction_code -> Text,
        kind -> Text,
        on_date -> Date,
        people -> BigInt,
        total_fen -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    condolences (id) {
        id -> BigInt,
        retiree_id -> BigInt,
        community_code -> Text,
        kind -> Text,
        on_date -> Date,
        year -> Integer,
        paid -> Bool,
        amount_fen -> BigInt,
        amount_source -> Text,
        batch_id -> Nullable<BigInt>,
        note -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        expenditure_id -> Nullable<BigInt>,
        cancelled_at -> Nullable<Timestamp>,
        cancel_reason -> Nullable<Text>,
    }
}

diesel::table! {
    visits (id) {
        id -> BigInt,
        retiree_id -> BigInt,
        community_code -> Text,
        on_date -> Date,
        worker -> Text,
        findings -> Text,
        follow_up -> Nullable<Text>,
        dibao_referral -> Bool,
        tasks_closed -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    care_groups (id) {
        id -> BigInt,
        community_code -> Text,
        name -> Text,
        basis -> Text,
        area -> Text,
        version -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    group_members (id) {
        id -> BigInt,
        group_id -> BigInt,
        retiree_id -> BigInt,
        joined_on -> Date,
        left_on -> Nullable<Date>,
    }
}

diesel::table! {
    group_leaders (id) {
        id -> BigInt,
        group_id -> BigInt,
        name -> Text,
        retiree_id -> Nullable<BigInt>,
        elected_on -> Date,
        ended_on -> Nullable<Date>,
        insured -> Bool,
        insurer -> Nullable<Text>,
        insured_until -> Nullable<Date>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    leader_trainings (id) {
        id -> BigInt,
        leader_id -> BigInt,
        on_date -> Date,
        topic -> Text,
        hours -> Integer,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    fund_budgets (id) {
        id -> BigInt,
        jurisdiction_code -> Text,
        year -> Integer,
        reference_date -> Date,
        total_fen -> BigInt,
        snapshot -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        fund -> Text,
    }
}

diesel::table! {
    fund_expenditures (id) {
        id -> BigInt,
        jurisdiction_code -> Text,
        year -> Integer,
        on_date -> Date,
        category -> Text,
        amount_fen -> BigInt,
        description -> Text,
        leader_id -> Nullable<BigInt>,
        created_by -> Text,
        created_at -> Timestamp,
        fund -> Text,
        condolence_id -> Nullable<BigInt>,
        reverses_id -> Nullable<BigInt>,
        award_cancelled -> Bool,
    }
}

diesel::table! {
    fund_statements (id) {
        id -> BigInt,
        jurisdiction_code -> Text,
        year -> Integer,
        snapshot -> Text,
        closed_by -> Text,
        closed_at -> Timestamp,
    }
}

diesel::joinable!(pension_status_changes -> retirees (retiree_id));
diesel::joinable!(certifications -> retirees (retiree_id));
diesel::joinable!(certification_tasks -> retirees (retiree_id));
diesel::joinable!(missing_persons -> retirees (retiree_id));
diesel::joinable!(certification_run_items -> certification_runs (run_id));
diesel::joinable!(feed_unmatched -> feed_batches (feed_batch_id));
diesel::joinable!(policy_versions -> jurisdictions (jurisdiction_code));
diesel::joinable!(jurisdiction_changes -> jurisdictions (code));
diesel::joinable!(accounts -> jurisdictions (jurisdiction_code));
diesel::joinable!(retirees -> jurisdictions (community_code));
diesel::joinable!(retiree_special_groups -> retirees (retiree_id));
diesel::joinable!(dependents -> retirees (retiree_id));
diesel::joinable!(death_reports -> retirees (retiree_id));
diesel::joinable!(overpayments -> death_reports (death_report_id));
diesel::joinable!(overpayment_entries -> overpayments (overpayment_id));
diesel::joinable!(dependent_support -> death_reports (death_report_id));
diesel::joinable!(dependent_support_steps -> dependent_support (application_id));
diesel::joinable!(dependent_certifications -> dependents (dependent_id));
diesel::joinable!(dependent_support_changes -> dependents (dependent_id));
diesel::joinable!(import_errors -> import_jobs (job_id));
diesel::joinable!(condolences -> retirees (retiree_id));
diesel::joinable!(group_members -> care_groups (group_id));
diesel::joinable!(care_groups -> jurisdictions (community_code));
diesel::joinable!(group_leaders -> care_groups (group_id));
diesel::joinable!(leader_trainings -> group_leaders (leader_id));
diesel::joinable!(import_rejected_rows -> import_jobs (job_id));

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        url -> Text,
        event_types -> Text,
        secret -> Text,
        description -> Nullable<Text>,
        owner_login -> Text,
        owner_role -> Text,
        scope_path -> Text,
        active -> Bool,
        cursor -> BigInt,
        failures -> Integer,
        next_attempt_at -> Nullable<Timestamp>,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        delivered -> BigInt,
        last_delivered_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> BigInt,
        webhook_id -> BigInt,
        event_id -> BigInt,
        event_type -> Text,
        attempt -> Integer,
        attempted_at -> Timestamp,
        outcome -> Text,
        status_code -> Nullable<Integer>,
        response_excerpt -> Nullable<Text>,
        error -> Nullable<Text>,
        duration_ms -> BigInt,
        replica -> Text,
    }
}

diesel::joinable!(webhook_attempts -> webhooks (webhook_id));

diesel::table! {
    petitions (id) {
        id -> BigInt,
        channel -> Text,
        category -> Text,
        urgency -> Text,
        major_policy -> Bool,
        people_count -> Integer,
        collective -> Bool,
        body -> Text,
        attachments -> Text,
        received_on -> Date,
        origin_code -> Text,
        owner_code -> Text,
        escalations -> Integer,
        status -> Text,
        basis -> Text,
        clock_started_on -> Date,
        acknowledge_due -> Date,
        answer_due -> Date,
        due_on -> Nullable<Date>,
        due_fixed -> Bool,
        assignee_id -> Nullable<BigInt>,
        acknowledged_on -> Nullable<Date>,
        answer -> Nullable<Text>,
        answered_on -> Nullable<Date>,
        outcome -> Nullable<Text>,
        satisfaction -> Nullable<Text>,
        closed_on -> Nullable<Date>,
        reopened -> Integer,
        registered_by -> Text,
        registered_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    petition_persons (id) {
        id -> BigInt,
        petition_id -> BigInt,
        retiree_id -> Nullable<BigInt>,
        dependent_id -> Nullable<BigInt>,
        name -> Text,
        phone -> Nullable<Text>,
    }
}

diesel::table! {
    petition_steps (id) {
        id -> BigInt,
        petition_id -> BigInt,
        kind -> Text,
        node_code -> Text,
        on_date -> Date,
        note -> Nullable<Text>,
        assignee_id -> Nullable<BigInt>,
        actor -> Text,
        at -> Timestamp,
    }
}

diesel::joinable!(petition_persons -> petitions (petition_id));
diesel::joinable!(petition_steps -> petitions (petition_id));
diesel::joinable!(petition_steps -> jurisdictions (node_code));

// Personnel archives (issue 23).
diesel::table! {
    archive_repositories (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        jurisdiction_code -> Text,
        area_m2 -> BigInt,
        keepers -> Integer,
        created_by -> Text,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    archives (id) {
        id -> BigInt,
        retiree_id -> Nullable<BigInt>,
        handover_item_id -> Nullable<BigInt>,
        person_name -> Text,
        id_number -> Text,
        id_number_hash -> Text,
        community_code -> Text,
        volumes -> Integer,
        pieces -> Integer,
        sorted_on -> Nullable<Date>,
        catalogued_on -> Nullable<Date>,
        bound_on -> Nullable<Date>,
        digitised_on -> Nullable<Date>,
        missing_items -> Text,
        delivered_by -> Text,
        received_by -> Text,
        received_on -> Date,
        status -> Text,
        repository_id -> Nullable<BigInt>,
        room -> Nullable<Text>,
        shelf -> Nullable<Text>,
        #[sql_name = "box"]
        box_ -> Nullable<Text>,
        stored_on -> Nullable<Date>,
        digital_uri -> Nullable<Text>,
        digital_pages -> Nullable<Integer>,
        digital_checksum -> Nullable<Text>,
        disposal_kind -> Nullable<Text>,
        disposed_on -> Nullable<Date>,
        disposal_note -> Nullable<Text>,
        retention_until -> Nullable<Date>,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    archive_materials (id) {
        id -> BigInt,
        archive_id -> BigInt,
        piece_no -> Integer,
        material_type -> Text,
        title -> Text,
        dated -> Nullable<Date>,
        pages -> Integer,
        source -> Text,
        filed_on -> Date,
    }
}

diesel::joinable!(archives -> jurisdictions (community_code));
diesel::joinable!(archives -> archive_repositories (repository_id));
diesel::joinable!(archive_materials -> archives (archive_id));
diesel::joinable!(archive_repositories -> jurisdictions (jurisdiction_code));

diesel::allow_tables_to_appear_in_same_query!(
    jurisdictions,
    jurisdiction_changes,
    accounts,
    login_throttle,
    login_address_throttle,
    retention_marks,
    retirees,
    retiree_special_groups,
    dependents,
    audit_log,
    idempotency_keys,
    policy_versions,
    calendar_days,
    import_jobs,
    import_errors,
    import_rejected_rows,
    retiree_import_staging,
    retiree_import_flags,
    pension_status_changes,
    certifications,
    certification_tasks,
    missing_persons,
    certification_runs,
    certification_run_items,
    feed_batches,
    feed_unmatched,
    dependent_certifications,
    dependent_support_changes,
    death_reports,
    overpayments,
    overpayment_entries,
    dependent_support,
    dependent_support_steps,
    roster_movements,
    handover_batches,
    handover_items,
    handover_steps,
    transfers,
    transfer_steps,
    reductions,
    visit_tasks,
    webhooks,
    webhook_attempts,
    festival_batches,
    condolences,
    visits,
    care_groups,
    group_members,
    group_leaders,
    leader_trainings,
    fund_budgets,
    fund_expenditures,
    fund_statements,
    cache_versions,
    petitions,
    petition_persons,
    petition_steps,
    // Personnel archives (issue 23).
    archive_repositories,
    archives,
    archive_materials,
    // Elderly care services (issue 26).
    care_institutions,
    caregivers,
    caregiver_areas,
    care_requests,
    care_supervisions,
    // Personnel archives, use, supplements, transfer, digitisation (issue 23).
    archive_loans,
    archive_supplements,
    archive_dispatches,
    // Community services (issue 25).
    health_institutions,
    health_records,
    health_examinations,
    activity_plans,
    activities,
    activity_participants,
    volunteers,
    volunteer_services,
    fund_allocations,
    fund_year_closes,
    // Personnel archives: digitisation batches (issue 23).
    archive_batches,
    archive_batch_items,
    high_age_allowance_applications,
    assistance_referrals,
    // Community services (issue 25): tracked errands.
    errands,
    // Community services (issue 25): party members' organisation relations.
    party_branches,
    party_relations,
    party_relation_steps,
    party_meetings,
    party_meeting_attendance,
);

diesel::table! {
    cache_versions (name) {
        name -> Text,
        version -> BigInt,
    }
}

// Elderly care services (issue 26; GUIDE 第二部分六).
diesel::table! {
    care_institutions (id) {
        id -> BigInt,
        name -> Text,
        kind -> Text,
        jurisdiction_code -> Text,
        address -> Text,
        licence_no -> Nullable<Text>,
        licence_expires_on -> Nullable<Date>,
        beds_total -> Integer,
        beds_occupied -> Integer,
        services -> Text,
        contact_name -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        last_verified_on -> Date,
        verified_via -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    caregivers (id) {
        id -> BigInt,
        name -> Text,
        phone -> Nullable<Text>,
        grade -> Text,
        certificate_no -> Text,
        certificate_on -> Date,
        institution_id -> Nullable<BigInt>,
        jurisdiction_code -> Text,
        items -> Text,
        languages -> Text,
        available -> Bool,
        trainings -> Text,
        grade_history -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    caregiver_areas (id) {
        id -> BigInt,
        caregiver_id -> BigInt,
        jurisdiction_code -> Text,
    }
}

diesel::table! {
    care_requests (id) {
        id -> BigInt,
        retiree_id -> BigInt,
        jurisdiction_code -> Text,
        items -> Text,
        frequency -> Text,
        preferred_time -> Nullable<Text>,
        place -> Text,
        institution_id -> Nullable<BigInt>,
        cost_bearer -> Text,
        status -> Text,
        requested_on -> Date,
        eligibility_note -> Nullable<Text>,
        checked_on -> Nullable<Date>,
        caregiver_id -> Nullable<BigInt>,
        slot_start -> Nullable<Timestamp>,
        slot_end -> Nullable<Timestamp>,
        delivered_start -> Nullable<Timestamp>,
        delivered_end -> Nullable<Timestamp>,
        delivered_by -> Nullable<Text>,
        score -> Nullable<Integer>,
        evaluation -> Nullable<Text>,
        evaluated_by -> Nullable<Text>,
        evaluated_on -> Nullable<Date>,
        cancel_reason -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    care_supervisions (id) {
        id -> BigInt,
        request_id -> BigInt,
        on_date -> Date,
        result -> Text,
        note -> Nullable<Text>,
        actor -> Text,
        at -> Timestamp,
    }
}

diesel::joinable!(care_institutions -> jurisdictions (jurisdiction_code));
diesel::joinable!(caregiver_areas -> caregivers (caregiver_id));
diesel::joinable!(caregiver_areas -> jurisdictions (jurisdiction_code));
diesel::joinable!(care_requests -> jurisdictions (jurisdiction_code));
diesel::joinable!(care_supervisions -> care_requests (request_id));

// Monthly reports, month close (issue 27).
diesel::table! {
    month_closes (id) {
        id -> BigInt,
        jurisdiction_code -> Text,
        month -> Date,
        status -> Text,
        snapshot -> Text,
        differences -> Text,
        closed_by -> Text,
        closed_at -> Timestamp,
        reopened_by -> Nullable<Text>,
        reopened_at -> Nullable<Timestamp>,
        reopen_reason -> Nullable<Text>,
        version -> BigInt,
    }
}
diesel::table! {
    special_group_verifications (id) {
        id -> BigInt,
        retiree_id -> BigInt,
        group_code -> Text,
        member -> Bool,
        verified_on -> Date,
        worker -> Text,
        evidence -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(month_closes -> jurisdictions (jurisdiction_code));
diesel::joinable!(special_group_verifications -> retirees (retiree_id));
diesel::allow_tables_to_appear_in_same_query!(special_group_verifications, retirees);
diesel::allow_tables_to_appear_in_same_query!(special_group_verifications, jurisdictions);
diesel::allow_tables_to_appear_in_same_query!(month_closes, jurisdictions);
// Personnel archives: use (利用), supplements, transfer, digitisation (issue 23).
diesel::table! {
    archive_loans (id) {
        id -> BigInt,
        archive_id -> BigInt,
        kind -> Text,
        online -> Bool,
        requester -> Text,
        purpose -> Text,
        pieces -> Text,
        asked_from -> Date,
        asked_until -> Date,
        status -> Text,
        requested_by -> Text,
        requested_on -> Date,
        decided_by -> Nullable<Text>,
        decided_on -> Nullable<Date>,
        decision_note -> Nullable<Text>,
        lent_by -> Nullable<Text>,
        lent_on -> Nullable<Date>,
        due_on -> Nullable<Date>,
        returned_by -> Nullable<Text>,
        returned_on -> Nullable<Date>,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::joinable!(archive_loans -> archives (archive_id));

diesel::table! {
    archive_supplements (id) {
        id -> BigInt,
        archive_id -> BigInt,
        material_type -> Text,
        title -> Text,
        dated -> Nullable<Date>,
        pages -> Integer,
        delivered_by -> Text,
        submitted_by -> Text,
        submitted_on -> Date,
        review_due -> Date,
        status -> Text,
        reviewed_by -> Nullable<Text>,
        reviewed_on -> Nullable<Date>,
        return_reason -> Nullable<Text>,
        piece_no -> Nullable<Integer>,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::joinable!(archive_supplements -> archives (archive_id));

diesel::table! {
    archive_dispatches (id) {
        id -> BigInt,
        archive_id -> BigInt,
        transfer_id -> BigInt,
        exemption -> Nullable<Text>,
        to_authority -> Text,
        means -> Nullable<Text>,
        tracking_no -> Nullable<Text>,
        sent_on -> Date,
        sent_by -> Text,
        status -> Text,
        received_on -> Nullable<Date>,
        received_by -> Nullable<Text>,
        confirmed_by -> Nullable<Text>,
        note -> Nullable<Text>,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::joinable!(archive_dispatches -> archives (archive_id));
diesel::joinable!(archive_dispatches -> transfers (transfer_id));

// Community services (issue 25): health records (GUIDE 第五部分第四章四).
diesel::table! {
    health_institutions (id) {
        id -> BigInt,
        name -> Text,
        jurisdiction_code -> Text,
        address -> Text,
        contact_name -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        agreement_no -> Nullable<Text>,
        agreement_from -> Nullable<Date>,
        agreement_until -> Nullable<Date>,
        created_by -> Text,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    health_records (id) {
        id -> BigInt,
        retiree_id -> BigInt,
        institution_id -> BigInt,
        conditions -> Text,
        disability_level -> Text,
        created_on -> Date,
        last_updated_on -> Date,
        created_by -> Text,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    health_examinations (id) {
        id -> BigInt,
        record_id -> BigInt,
        examined_on -> Date,
        institution_id -> BigInt,
        summary -> Text,
        chronic_disease -> Bool,
        disability_level -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(health_institutions -> jurisdictions (jurisdiction_code));
diesel::joinable!(health_records -> retirees (retiree_id));
diesel::joinable!(health_records -> health_institutions (institution_id));
diesel::joinable!(health_examinations -> health_records (record_id));

// Community services (issue 25): activities (XM Art. 17; CS Art. 20; JN Art. 30).
diesel::table! {
    activity_plans (id) {
        id -> BigInt,
        jurisdiction_code -> Text,
        year -> Integer,
        title -> Text,
        content -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    activities (id) {
        id -> BigInt,
        plan_id -> BigInt,
        jurisdiction_code -> Text,
        kind -> Text,
        title -> Text,
        held_on -> Date,
        place -> Text,
        organiser -> Text,
        capacity -> Nullable<Integer>,
        signed_up -> Integer,
        created_by -> Text,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    activity_participants (id) {
        id -> BigInt,
        activity_id -> BigInt,
        retiree_id -> BigInt,
        dependent_id -> Nullable<BigInt>,
        participant_key -> Text,
        signed_up_on -> Date,
        attended -> Nullable<Bool>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(activity_plans -> jurisdictions (jurisdiction_code));
diesel::joinable!(activities -> jurisdictions (jurisdiction_code));
diesel::joinable!(activities -> activity_plans (plan_id));
diesel::joinable!(activity_participants -> activities (activity_id));
diesel::joinable!(activity_participants -> retirees (retiree_id));

// Community services (issue 25): volunteers (CS Art. 22).
diesel::table! {
    volunteers (id) {
        id -> BigInt,
        pool_code -> Text,
        name -> Text,
        retiree_id -> Nullable<BigInt>,
        skills -> Text,
        availability -> Nullable<Text>,
        organisation -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    volunteer_services (id) {
        id -> BigInt,
        volunteer_id -> BigInt,
        served_on -> Date,
        community_code -> Text,
        retiree_id -> Nullable<BigInt>,
        activity_id -> Nullable<BigInt>,
        what -> Text,
        tenths -> Integer,
        created_by -> Text,
        created_at -> Timestamp,
        // Issue 25: the visit the service was given on (2026-12-11-100002).
        visit_id -> Nullable<BigInt>,
    }
}

diesel::joinable!(volunteers -> jurisdictions (pool_code));
diesel::joinable!(volunteer_services -> volunteers (volunteer_id));

// Funding at every level (issue 27): allocations from a parent's fund to its children, yearly closes.
diesel::table! {
    fund_allocations (id) {
        id -> BigInt,
        fund -> Text,
        year -> Integer,
        from_code -> Text,
        to_code -> Text,
        recipients -> Nullable<BigInt>,
        amount_fen -> BigInt,
        on_date -> Date,
        note -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    fund_year_closes (id) {
        id -> BigInt,
        jurisdiction_code -> Text,
        fund -> Text,
        year -> Integer,
        status -> Text,
        snapshot -> Text,
        closed_by -> Text,
        closed_at -> Timestamp,
        reopened_by -> Nullable<Text>,
        reopened_at -> Nullable<Timestamp>,
        reopen_reason -> Nullable<Text>,
        version -> BigInt,
    }
}

// Personnel archives: digitisation batches (issue 23; XM Art. 16; JN Art. 8(7)).
diesel::table! {
    archive_batches (id) {
        id -> BigInt,
        repository_id -> BigInt,
        vendor -> Text,
        operator -> Text,
        started_on -> Date,
        finished_on -> Nullable<Date>,
        status -> Text,
        note -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    archive_batch_items (id) {
        id -> BigInt,
        batch_id -> BigInt,
        archive_id -> BigInt,
        pages -> Nullable<Integer>,
        uri -> Nullable<Text>,
        checksum -> Nullable<Text>,
        digitised_on -> Nullable<Date>,
    }
}

diesel::joinable!(archive_batches -> archive_repositories (repository_id));
diesel::joinable!(archive_batch_items -> archive_batches (batch_id));
diesel::joinable!(archive_batch_items -> archives (archive_id));

// Community services (issue 25 part 4): high-age allowance (JN Art. 7(7)).
diesel::table! {
    high_age_allowance_applications (id) {
        id -> BigInt,
        retiree_id -> BigInt,
        applied_on -> Date,
        status -> Text,
        from_month -> Date,
        note -> Nullable<Text>,
        reason -> Nullable<Text>,
        decided_on -> Nullable<Date>,
        decided_by -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::joinable!(high_age_allowance_applications -> retirees (retiree_id));

// Community services (issue 25 part 4): assistance referral (JN Art. 7(8)).
diesel::table! {
    assistance_referrals (id) {
        id -> BigInt,
        retiree_id -> BigInt,
        kind -> Text,
        visit_id -> Nullable<BigInt>,
        hardship -> Text,
        referred_on -> Date,
        status -> Text,
        answered_on -> Nullable<Date>,
        granted_from -> Nullable<Date>,
        answer_note -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::joinable!(assistance_referrals -> retirees (retiree_id));

// Community services (issue 25): tracked errands (JN Art. 7(5), 24; GUIDE 走访制度).
diesel::table! {
    errands (id) {
        id -> BigInt,
        retiree_id -> BigInt,
        kind -> Text,
        node_code -> Text,
        materials -> Text,
        opened_on -> Date,
        submitted_on -> Nullable<Date>,
        due_on -> Nullable<Date>,
        status -> Text,
        closed_on -> Nullable<Date>,
        reason -> Nullable<Text>,
        notes -> Nullable<Text>,
        transfer_id -> Nullable<BigInt>,
        created_by -> Text,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::joinable!(errands -> retirees (retiree_id));

// Community services (issue 25): party members' organisation relations (CS Art. 12(3), 24; JN Art. 22, 29).
diesel::table! {
    party_branches (id) {
        id -> BigInt,
        name -> Text,
        jurisdiction_code -> Text,
        founded_on -> Date,
        secretary -> Nullable<Text>,
        closed_on -> Nullable<Date>,
        created_by -> Text,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    party_relations (id) {
        id -> BigInt,
        retiree_id -> BigInt,
        branch_id -> BigInt,
        joined_on -> Date,
        came_from -> Nullable<Text>,
        from_branch_id -> Nullable<BigInt>,
        status -> Text,
        target_branch_id -> Nullable<BigInt>,
        destination -> Nullable<Text>,
        transferred_on -> Nullable<Date>,
        created_by -> Text,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    party_relation_steps (id) {
        id -> BigInt,
        relation_id -> BigInt,
        action -> Text,
        branch_id -> Nullable<BigInt>,
        on_date -> Date,
        detail -> Nullable<Text>,
        operator -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    party_meetings (id) {
        id -> BigInt,
        branch_id -> BigInt,
        kind -> Text,
        held_on -> Date,
        topic -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    party_meeting_attendance (id) {
        id -> BigInt,
        meeting_id -> BigInt,
        retiree_id -> BigInt,
        attended -> Bool,
        absence_reason -> Nullable<Text>,
    }
}

diesel::joinable!(party_branches -> jurisdictions (jurisdiction_code));
diesel::joinable!(party_relations -> retirees (retiree_id));
diesel::joinable!(party_relations -> party_branches (branch_id));
diesel::joinable!(party_relation_steps -> party_relations (relation_id));
diesel::joinable!(party_meetings -> party_branches (branch_id));
diesel::joinable!(party_meeting_attendance -> party_meetings (meeting_id));
diesel::joinable!(party_meeting_attendance -> retirees (retiree_id));

// Special-group ledger feeds (issue 27, ledgers): the hardship list and hospital records of serious illness.
diesel::table! {
    ledger_feed_records (id) {
        id -> BigInt,
        kind -> Text,
        feed_batch_id -> BigInt,
        line -> BigInt,
        source_ref -> Text,
        retiree_id -> BigInt,
        record_date -> Date,
        listed -> Bool,
        diagnosis_category -> Nullable<Text>,
        institution -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(ledger_feed_records -> retirees (retiree_id));
diesel::joinable!(ledger_feed_records -> feed_batches (feed_batch_id));
diesel::allow_tables_to_appear_in_same_query!(ledger_feed_records, retirees);
diesel::allow_tables_to_appear_in_same_query!(ledger_feed_records, feed_batches);
diesel::allow_tables_to_appear_in_same_query!(ledger_feed_records, jurisdictions);
