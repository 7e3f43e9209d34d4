//! HTTP routes, one module per resource.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod certification_runs;
pub mod certifications;
pub mod common;
pub mod condolences;
pub mod deaths;
pub mod deaths_report;
pub mod dependent_certifications;
pub mod dependent_support;
pub mod dependents;
pub mod events;
pub mod exports;
pub mod feeds;
pub mod files;
pub mod funding;
pub mod groups;
pub mod handover;
pub mod imports;
pub mod jurisdictions;
pub mod meta;
pub mod missing_persons;
pub mod movement_report;
pub mod ops;
pub mod overpayments;
pub mod pension;
pub mod petitions;
// Elderly care services (issue 26).
pub mod care_files;
pub mod care_requests;
pub mod elder_care;
pub mod policies;
pub mod reductions;
pub mod retirees;
pub mod timeline;
pub mod transfers;
pub mod visit_tasks;
pub mod visits;
pub mod webhooks;
// Personnel archives (issue 23).
pub mod archives;
// Monthly reports, month close (issue 27).
pub mod reports;
// Community services (issue 25).
pub mod activities;
pub mod health_records;
pub mod volunteers;
// Funding at every level (issue 27).
pub mod fund_levels;
// Personnel archives: register import, digitisation batches (issue 23).
pub mod archive_batches;
pub mod archive_import;
// Community services (issue 25 part 4).
pub mod assistance;
pub mod high_age;
// Community services (issue 25): tracked errands.
pub mod errands;
// Community services (issue 25): party members' organisation relations, health institution register.
pub mod health_files;
pub mod party;
pub mod party_files;
// Reports, ledgers and funds (issue 27, reports27).
pub mod ledger_comparison;
// Shared: the handler of register files (issue 18).
pub mod register_files;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every `/api/v1` route. Literal paths come before parameterised ones.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(auth::token)
        .service(auth::me)
        .service(accounts::create_user)
        .service(accounts::list_users)
        .service(accounts::get_user)
        .service(accounts::update_user)
        .service(accounts::create_service_account)
        .service(accounts::list_service_accounts)
        .service(accounts::get_service_account)
        .service(accounts::update_service_account)
        .service(accounts::rotate_secret)
        .service(jurisdictions::list)
        .service(jurisdictions::create)
        .service(jurisdictions::get_one)
        .service(jurisdictions::children)
        .service(jurisdictions::history)
        .service(jurisdictions::rename)
        .service(jurisdictions::move_node)
        .service(policies::resolve)
        .service(policies::list)
        .service(policies::create)
        .service(policies::presets_list)
        .service(imports::jurisdictions)
        .service(imports::retirees)
        .service(imports::dependents)
        .service(imports::list)
        .service(imports::errors_csv)
        .service(imports::job_errors)
        .service(imports::get_one)
        .service(calendar::import)
        .service(calendar::holidays)
        .service(calendar::working_days)
        .service(calendar::deadline)
        .service(retirees::search)
        .service(retirees::create)
        .service(retirees::list)
        .service(retirees::get_one)
        .service(retirees::update)
        .service(timeline::timeline)
        .service(pension::get_status)
        .service(pension::changes)
        .service(pension::suspend)
        .service(pension::resume)
        .service(missing_persons::record_missing)
        .service(missing_persons::missing_found)
        .service(missing_persons::missing_history)
        .service(missing_persons::missing_persons)
        .service(certifications::create)
        .service(certifications::list)
        .service(certifications::get_one)
        .service(certifications::set_barrier)
        .service(certifications::clear_barrier)
        .service(certifications::open_tasks)
        .service(exports::retirees)
        .service(dependents::list)
        .service(dependents::create)
        .service(dependents::get_one)
        .service(dependents::update)
        .service(dependents::remove)
        .service(dependent_certifications::create)
        .service(dependent_certifications::list)
        .service(dependent_certifications::support_changes)
        .service(certification_runs::create)
        .service(certification_runs::list)
        .service(certification_runs::get_one)
        .service(certification_runs::items)
        .service(certification_runs::suspended_dependents)
        .service(feeds::submit_feed)
        .service(feeds::list_feed_batches)
        .service(feeds::list_feed_unmatched)
        .service(feeds::get_feed_batch)
        .service(deaths::create)
        .service(deaths::list)
        .service(deaths::get_one)
        .service(deaths::verify)
        .service(deaths::withdraw)
        .service(deaths::reverse)
        .service(deaths::benefits)
        .service(deaths_report::deaths_report)
        .service(overpayments::list)
        .service(overpayments::get_one)
        .service(overpayments::add_entry)
        .service(dependent_support::apply)
        .service(dependent_support::list)
        .service(dependent_support::get_one)
        .service(dependent_support::record_step)
        .service(dependent_support::terminate)
        .service(dependent_support::fraud_flag)
        .service(dependent_support::fraud_clear)
        .service(handover::create)
        .service(handover::list)
        .service(handover::get_one)
        .service(handover::add_step)
        .service(handover::accept)
        .service(handover::return_item)
        .service(transfers::create)
        .service(transfers::list)
        .service(transfers::get_one)
        .service(transfers::return_transfer)
        .service(transfers::resubmit)
        .service(transfers::release)
        .service(transfers::complete)
        .service(reductions::reduce)
        .service(reductions::list_reductions)
        .service(visits::generate)
        .service(visit_tasks::visit_tasks)
        .service(visit_tasks::visit_done)
        .service(movement_report::movement_report)
        .service(events::list)
        .service(webhooks::create)
        .service(webhooks::list)
        .service(webhooks::get_one)
        .service(webhooks::update)
        .service(webhooks::remove)
        .service(webhooks::replay)
        .service(webhooks::attempts)
        .service(condolences::create)
        .service(condolences::list)
        .service(condolences::get_one)
        .service(condolences::eligible_list)
        .service(condolences::create_list)
        .service(condolences::get_list)
        .service(groups::create)
        .service(groups::list)
        .service(groups::get_one)
        .service(groups::add_member)
        .service(groups::leave)
        .service(groups::elect)
        .service(groups::list_leaders)
        .service(groups::get_leader)
        .service(groups::add_training)
        .service(groups::insurance)
        .service(funding::create_budget)
        .service(funding::list_budgets)
        .service(funding::get_budget)
        .service(funding::leader_allowances)
        .service(funding::create_expenditure)
        .service(funding::list_expenditures)
        .service(funding::get_expenditure)
        .service(funding::create_award)
        .service(funding::statement)
        .service(funding::close_statement)
        .service(funding::staffing)
        .service(visits::create)
        .service(visits::list)
        .service(visits::get_one)
        .service(audit::list)
        .service(meta::enums)
        .service(petitions::create)
        .service(petitions::list)
        .service(petitions::stats)
        .service(petitions::get_one)
        .service(petitions::assign)
        .service(petitions::acknowledge)
        .service(petitions::action)
        .service(petitions::answer)
        .service(petitions::close)
        .service(petitions::reopen)
        .service(petitions::escalate)
        // Personnel archives (issue 23).
        .service(archives::receive)
        .service(archives::list)
        .service(archives::export_register)
        .service(archives::get_one)
        .service(archives::materials)
        .service(archives::place)
        .service(archives::create_repository)
        .service(archives::list_repositories)
        // Elderly care services (issue 26).
        .service(elder_care::create_institution)
        .service(elder_care::list_institutions)
        .service(elder_care::get_institution)
        .service(elder_care::verify_institution)
        .service(elder_care::create_caregiver)
        .service(elder_care::list_caregivers)
        .service(elder_care::get_caregiver)
        .service(elder_care::add_training)
        .service(elder_care::change_grade)
        .service(elder_care::move_in)
        .service(care_requests::create)
        .service(care_requests::list)
        .service(care_requests::summary)
        .service(care_requests::get_one)
        .service(care_requests::candidates)
        .service(care_requests::eligibility)
        .service(care_requests::match_caregiver)
        .service(care_requests::book)
        .service(care_requests::deliver)
        .service(care_requests::supervise)
        .service(care_requests::evaluate)
        .service(care_requests::cancel)
        .service(care_files::export_institutions)
        .service(care_files::export_caregivers)
        .service(care_files::export_requests)
        .service(care_files::export_summary)
        .service(care_files::import_institutions)
        .service(care_files::import_caregivers)
        // Monthly reports, month close (issue 27).
        .service(reports::export_monthly_report)
        .service(reports::monthly_report)
        .service(reports::close_month)
        .service(reports::get_month_close)
        .service(reports::reopen_month)
        .service(reports::ledger_summary)
        .service(reports::get_verification)
        .service(reports::verify_membership)
        .service(reports::export_ledger)
        .service(reports::ledger)
        // Personnel archives: use, supplements, transfer, digitisation, disposal, register (issue 23).
        .service(archives::request_loan)
        .service(archives::list_loans)
        .service(archives::get_loan)
        .service(archives::approve_loan)
        .service(archives::reject_loan)
        .service(archives::lend_loan)
        .service(archives::return_loan)
        .service(archives::record_digital)
        .service(archives::submit_supplement)
        .service(archives::list_supplements)
        .service(archives::get_supplement)
        .service(archives::accept_supplement)
        .service(archives::return_supplement)
        .service(archives::dispatch_archive)
        .service(archives::receive_dispatch)
        .service(archives::dispose_archive)
        .service(archives::digitisation)
        .service(archives::export_digitisation)
        // Community services (issue 25): health records.
        .service(health_records::create_institution)
        .service(health_records::list_institutions)
        .service(health_records::get_institution)
        .service(health_records::sign_agreement)
        .service(health_records::create_record)
        .service(health_records::list_records)
        .service(health_records::missing)
        .service(health_records::export)
        .service(health_records::get_record)
        .service(health_records::adjust_record)
        .service(health_records::add_examination)
        // Community services (issue 25): activities.
        .service(activities::create_plan)
        .service(activities::list_plans)
        .service(activities::create_activity)
        .service(activities::list_activities)
        .service(activities::counts)
        .service(activities::inactive)
        .service(activities::export)
        .service(activities::get_activity)
        .service(activities::sign_up)
        .service(activities::participants)
        .service(activities::attend)
        // Community services (issue 25): volunteers.
        .service(volunteers::create)
        .service(volunteers::list)
        .service(volunteers::hours)
        .service(volunteers::export)
        .service(volunteers::get_one)
        .service(volunteers::add_service)
        .service(volunteers::services)
        .service(volunteers::import)
        // Funding at every level (issue 27): allocations, condolence cancel, yearly statements and closes.
        .service(fund_levels::create_allocation)
        .service(fund_levels::list_allocations)
        .service(fund_levels::get_allocation)
        .service(fund_levels::cancel_condolence)
        .service(fund_levels::year_statement)
        .service(fund_levels::close_year)
        .service(fund_levels::reopen_year)
        .service(fund_levels::export_statement)
        // Personnel archives: register import, digitisation batches (issue 23).
        .service(archive_import::import_archives)
        .service(archive_batches::create_batch)
        .service(archive_batches::list_batches)
        .service(archive_batches::get_batch)
        .service(archive_batches::record_results)
        .service(archive_batches::complete_batch)
        .service(archive_batches::cancel_batch)
        // Community services (issue 25 part 4): high-age allowance.
        .service(high_age::apply)
        .service(high_age::list)
        .service(high_age::get_one)
        .service(high_age::decide)
        .service(high_age::month_list)
        .service(high_age::export)
        // Community services (issue 25 part 4): assistance referral.
        .service(assistance::refer)
        .service(assistance::list)
        .service(assistance::get_one)
        .service(assistance::answer)
        .service(assistance::export)
        // Community services (issue 25): tracked errands (the worklist before `/errands/{id}`).
        .service(errands::open)
        .service(errands::list)
        .service(errands::candidates)
        .service(errands::get_one)
        .service(errands::submit)
        .service(errands::result)
        .service(errands::withdraw)
        .service(errands::export)
        // Community services (issue 25): party members' organisation relations, health institution register.
        .service(health_files::export_institutions)
        .service(health_files::import_institutions)
        .service(party::create_branch)
        .service(party::list_branches)
        .service(party::get_branch)
        .service(party::close_branch)
        .service(party::record_meeting)
        .service(party::list_meetings)
        .service(party::establish)
        .service(party::history)
        .service(party::worklist)
        .service(party::get_relation)
        .service(party::transfer)
        .service(party::accept)
        .service(party::withdraw)
        .service(party_files::export)
        .service(party_files::import)
        // Reports, ledgers and funds (issue 27, reports27).
        .service(fund_levels::cancel_award)
        .service(ledger_comparison::export_comparison)
        .service(ledger_comparison::comparison)
        // Special-group ledger feeds (issue 27, ledgers).
        .service(ledger_comparison::submit_ledger_feed);
}
