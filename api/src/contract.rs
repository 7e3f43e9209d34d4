//! The published contract, finished for client generators and linters: one camelCase `operationId` per operation
//! (client generators name methods after it), a description on every response, a `servers` entry, an explicit
//! `security: []` on the public operations, no components that nothing refers to, and YAML that parsers of YAML 1.1
//! (PyYAML and the generators built on it) read as the JSON document says.

use std::collections::BTreeSet;

use utoipa::openapi::path::Operation;
use utoipa::openapi::server::ServerBuilder;
use utoipa::openapi::{OpenApi, PathItem};

/// The `operationId` of every operation, by method and path. A new route adds its line here; a test fails on an
/// operation without one, a line without an operation and a name used twice.
pub const OPERATION_IDS: &[(&str, &str)] = &[
    ("POST /api/v1/auth/token", "createToken"),
    ("GET /api/v1/auth/me", "getCurrentCaller"),
    ("GET /api/v1/users", "listUsers"),
    ("POST /api/v1/users", "createUser"),
    ("GET /api/v1/users/{id}", "getUser"),
    ("PATCH /api/v1/users/{id}", "updateUser"),
    ("GET /api/v1/service-accounts", "listServiceAccounts"),
    ("POST /api/v1/service-accounts", "createServiceAccount"),
    ("GET /api/v1/service-accounts/{id}", "getServiceAccount"),
    ("PATCH /api/v1/service-accounts/{id}", "updateServiceAccount"),
    ("POST /api/v1/service-accounts/{id}/rotate-secret", "rotateServiceAccountSecret"),
    ("GET /api/v1/jurisdictions", "listJurisdictions"),
    ("POST /api/v1/jurisdictions", "createJurisdiction"),
    ("GET /api/v1/jurisdictions/{code}", "getJurisdiction"),
    ("PATCH /api/v1/jurisdictions/{code}", "renameJurisdiction"),
    ("GET /api/v1/jurisdictions/{code}/children", "listJurisdictionChildren"),
    ("GET /api/v1/jurisdictions/{code}/history", "listJurisdictionHistory"),
    ("POST /api/v1/jurisdictions/{code}/move", "moveJurisdiction"),
    ("GET /api/v1/jurisdictions/{code}/policy", "resolvePolicy"),
    ("GET /api/v1/jurisdictions/{code}/policies", "listPolicyVersions"),
    ("POST /api/v1/jurisdictions/{code}/policies", "createPolicyVersion"),
    ("GET /api/v1/policy-presets", "listPolicyPresets"),
    ("POST /api/v1/imports/jurisdictions", "importJurisdictions"),
    ("POST /api/v1/imports/retirees", "importRetirees"),
    ("POST /api/v1/imports/dependents", "importDependents"),
    ("GET /api/v1/imports", "listImportJobs"),
    ("GET /api/v1/imports/{id}/errors.csv", "getImportErrorsCsv"),
    ("GET /api/v1/imports/{id}/errors", "listImportErrors"),
    ("GET /api/v1/imports/{id}", "getImportJob"),
    ("POST /api/v1/imports/calendar", "importCalendar"),
    ("GET /api/v1/calendar/holidays", "listHolidays"),
    ("GET /api/v1/calendar/working-days", "countWorkingDays"),
    ("GET /api/v1/calendar/deadline", "computeDeadline"),
    ("POST /api/v1/retirees/search", "searchRetirees"),
    ("GET /api/v1/retirees", "listRetirees"),
    ("POST /api/v1/retirees", "createRetiree"),
    ("GET /api/v1/retirees/{id}", "getRetiree"),
    ("PATCH /api/v1/retirees/{id}", "updateRetiree"),
    ("GET /api/v1/retirees/{id}/timeline", "getRetireeTimeline"),
    ("GET /api/v1/retirees/{id}/pension-status", "getPensionStatus"),
    ("GET /api/v1/retirees/{id}/pension-status/changes", "listPensionStatusChanges"),
    ("POST /api/v1/retirees/{id}/suspensions", "suspendPension"),
    ("POST /api/v1/retirees/{id}/pension-status/resume", "resumePension"),
    ("GET /api/v1/retirees/{id}/missing", "listMissingRecords"),
    ("POST /api/v1/retirees/{id}/missing", "recordMissing"),
    ("POST /api/v1/retirees/{id}/missing/found", "recordMissingFound"),
    ("GET /api/v1/missing-persons", "listMissingPersons"),
    ("GET /api/v1/retirees/{id}/certifications", "listCertifications"),
    ("POST /api/v1/retirees/{id}/certifications", "createCertification"),
    ("GET /api/v1/retirees/{id}/certifications/{certification_id}", "getCertification"),
    ("PUT /api/v1/retirees/{id}/certification-barrier", "setCertificationBarrier"),
    ("DELETE /api/v1/retirees/{id}/certification-barrier", "clearCertificationBarrier"),
    ("GET /api/v1/certification-tasks", "listCertificationTasks"),
    ("GET /api/v1/exports/retirees", "exportRetirees"),
    ("GET /api/v1/retirees/{id}/dependents", "listDependents"),
    ("POST /api/v1/retirees/{id}/dependents", "createDependent"),
    ("GET /api/v1/retirees/{id}/dependents/{dependent_id}", "getDependent"),
    ("DELETE /api/v1/retirees/{id}/dependents/{dependent_id}", "deleteDependent"),
    ("PATCH /api/v1/retirees/{id}/dependents/{dependent_id}", "updateDependent"),
    ("GET /api/v1/retirees/{id}/dependents/{dependent_id}/certifications", "listDependentCertifications"),
    ("POST /api/v1/retirees/{id}/dependents/{dependent_id}/certifications", "createDependentCertification"),
    ("GET /api/v1/retirees/{id}/dependents/{dependent_id}/support-changes", "listDependentSupportChanges"),
    ("GET /api/v1/certification-runs", "listCertificationRuns"),
    ("POST /api/v1/certification-runs", "createCertificationRun"),
    ("GET /api/v1/certification-runs/{id}", "getCertificationRun"),
    ("GET /api/v1/certification-runs/{id}/items", "listCertificationRunItems"),
    ("GET /api/v1/certification-runs/{id}/dependents", "listCertificationRunDependents"),
    ("POST /api/v1/feeds/{kind}", "submitFeedBatch"),
    ("GET /api/v1/feeds/{kind}/batches", "listFeedBatches"),
    ("GET /api/v1/feeds/{kind}/batches/{id}/unmatched", "listFeedBatchUnmatched"),
    ("GET /api/v1/feeds/{kind}/batches/{id}", "getFeedBatch"),
    ("GET /api/v1/death-reports", "listDeathReports"),
    ("POST /api/v1/death-reports", "createDeathReport"),
    ("GET /api/v1/death-reports/{id}", "getDeathReport"),
    ("POST /api/v1/death-reports/{id}/verify", "verifyDeathReport"),
    ("POST /api/v1/death-reports/{id}/withdraw", "withdrawDeathReport"),
    ("POST /api/v1/death-reports/{id}/reverse", "reverseDeathReport"),
    ("POST /api/v1/death-reports/{id}/benefits", "recordDeathBenefits"),
    ("GET /api/v1/reports/deaths", "getDeathsReport"),
    ("GET /api/v1/overpayments", "listOverpayments"),
    ("GET /api/v1/overpayments/{id}", "getOverpayment"),
    ("POST /api/v1/overpayments/{id}/entries", "addOverpaymentEntry"),
    ("GET /api/v1/dependent-support", "listDependentSupport"),
    ("POST /api/v1/dependent-support", "applyForDependentSupport"),
    ("GET /api/v1/dependent-support/{id}", "getDependentSupport"),
    ("POST /api/v1/dependent-support/{id}/steps", "recordDependentSupportStep"),
    ("POST /api/v1/dependent-support/{id}/terminate", "terminateDependentSupport"),
    ("POST /api/v1/dependent-support/{id}/fraud-flag", "flagDependentSupportFraud"),
    ("POST /api/v1/dependent-support/{id}/fraud-clear", "clearDependentSupportFraud"),
    ("GET /api/v1/handover-batches", "listHandoverBatches"),
    ("POST /api/v1/handover-batches", "createHandoverBatch"),
    ("GET /api/v1/handover-batches/{id}", "getHandoverBatch"),
    ("POST /api/v1/handover-batches/{id}/items/{item_id}/steps", "addHandoverStep"),
    ("POST /api/v1/handover-batches/{id}/items/{item_id}/accept", "acceptHandoverItem"),
    ("POST /api/v1/handover-batches/{id}/items/{item_id}/return", "returnHandoverItem"),
    ("GET /api/v1/transfers", "listTransfers"),
    ("POST /api/v1/transfers", "createTransfer"),
    ("GET /api/v1/transfers/{id}", "getTransfer"),
    ("POST /api/v1/transfers/{id}/return", "returnTransfer"),
    ("POST /api/v1/transfers/{id}/resubmit", "resubmitTransfer"),
    ("POST /api/v1/transfers/{id}/release", "releaseTransfer"),
    ("POST /api/v1/transfers/{id}/complete", "completeTransfer"),
    ("GET /api/v1/reductions", "listReductions"),
    ("POST /api/v1/reductions", "createReduction"),
    ("POST /api/v1/visit-tasks/generate", "generateVisitTasks"),
    ("GET /api/v1/visit-tasks", "listVisitTasks"),
    ("POST /api/v1/visit-tasks/{id}/done", "completeVisitTask"),
    ("GET /api/v1/reports/movements", "getMovementReport"),
    ("GET /api/v1/events", "listEvents"),
    ("GET /api/v1/webhooks", "listWebhooks"),
    ("POST /api/v1/webhooks", "createWebhook"),
    ("GET /api/v1/webhooks/{id}", "getWebhook"),
    ("DELETE /api/v1/webhooks/{id}", "deleteWebhook"),
    ("PATCH /api/v1/webhooks/{id}", "updateWebhook"),
    ("POST /api/v1/webhooks/{id}/replay", "replayWebhook"),
    ("GET /api/v1/webhooks/{id}/attempts", "listWebhookAttempts"),
    ("GET /api/v1/condolences", "listCondolences"),
    ("POST /api/v1/condolences", "createCondolence"),
    ("GET /api/v1/condolences/{id}", "getCondolence"),
    ("GET /api/v1/festival-lists/eligible", "listFestivalEligible"),
    ("POST /api/v1/festival-lists", "createFestivalList"),
    ("GET /api/v1/festival-lists/{id}", "getFestivalList"),
    ("GET /api/v1/groups", "listGroups"),
    ("POST /api/v1/groups", "createGroup"),
    ("GET /api/v1/groups/{id}", "getGroup"),
    ("POST /api/v1/groups/{id}/members", "addGroupMember"),
    ("POST /api/v1/groups/{id}/members/{retiree_id}/leave", "leaveGroup"),
    ("POST /api/v1/groups/{id}/leaders", "electGroupLeader"),
    ("GET /api/v1/group-leaders", "listGroupLeaders"),
    ("GET /api/v1/group-leaders/{id}", "getGroupLeader"),
    ("POST /api/v1/group-leaders/{id}/trainings", "addLeaderTraining"),
    ("POST /api/v1/group-leaders/{id}/insurance", "recordLeaderInsurance"),
    ("GET /api/v1/funding/budgets", "listBudgets"),
    ("POST /api/v1/funding/budgets", "createBudget"),
    ("GET /api/v1/funding/budgets/{id}", "getBudget"),
    ("GET /api/v1/funding/leader-allowances", "listLeaderAllowances"),
    ("GET /api/v1/funding/expenditures", "listExpenditures"),
    ("POST /api/v1/funding/expenditures", "createExpenditure"),
    ("GET /api/v1/funding/expenditures/{id}", "getExpenditure"),
    ("POST /api/v1/funding/leader-awards", "createLeaderAward"),
    ("GET /api/v1/funding/statements/{jurisdiction}/{year}", "getFundStatement"),
    ("POST /api/v1/funding/statements/{jurisdiction}/{year}/close", "closeFundStatement"),
    ("GET /api/v1/reports/staffing", "getStaffingReport"),
    ("GET /api/v1/visits", "listVisits"),
    ("POST /api/v1/visits", "createVisit"),
    ("GET /api/v1/visits/{id}", "getVisit"),
    ("GET /api/v1/audit-log", "listAuditLog"),
    ("GET /api/v1/meta/enums", "listEnums"),
    ("POST /api/v1/petitions", "createPetition"),
    ("GET /api/v1/petitions", "listPetitions"),
    ("GET /api/v1/petitions/stats", "getPetitionStats"),
    ("GET /api/v1/petitions/{id}", "getPetition"),
    ("POST /api/v1/petitions/{id}/assign", "assignPetition"),
    ("POST /api/v1/petitions/{id}/acknowledge", "acknowledgePetition"),
    ("POST /api/v1/petitions/{id}/actions", "recordPetitionAction"),
    ("POST /api/v1/petitions/{id}/answer", "answerPetition"),
    ("POST /api/v1/petitions/{id}/close", "closePetition"),
    ("POST /api/v1/petitions/{id}/reopen", "reopenPetition"),
    ("POST /api/v1/petitions/{id}/escalate", "escalatePetition"),
    // Personnel archives (issue 23).
    ("POST /api/v1/archives", "receiveArchive"),
    ("GET /api/v1/archives", "listArchives"),
    ("GET /api/v1/archives/{id}", "getArchive"),
    ("GET /api/v1/archives/{id}/materials", "listArchiveMaterials"),
    ("POST /api/v1/archives/{id}/place", "placeArchive"),
    ("POST /api/v1/archive-repositories", "createArchiveRepository"),
    ("GET /api/v1/archive-repositories", "listArchiveRepositories"),
    // Elderly care services (issue 26).
    ("POST /api/v1/care/institutions", "createCareInstitution"),
    ("GET /api/v1/care/institutions", "listCareInstitutions"),
    ("GET /api/v1/care/institutions/{id}", "getCareInstitution"),
    ("POST /api/v1/care/institutions/{id}/verify", "verifyCareInstitution"),
    ("POST /api/v1/care/caregivers", "createCaregiver"),
    ("GET /api/v1/care/caregivers", "listCaregivers"),
    ("GET /api/v1/care/caregivers/{id}", "getCaregiver"),
    ("POST /api/v1/care/caregivers/{id}/trainings", "addCaregiverTraining"),
    ("POST /api/v1/care/caregivers/{id}/grade", "changeCaregiverGrade"),
    ("POST /api/v1/retirees/{id}/care-institution", "moveIntoCareInstitution"),
    ("POST /api/v1/care/requests", "createCareRequest"),
    ("GET /api/v1/care/requests", "listCareRequests"),
    ("GET /api/v1/care/requests/summary", "getCareSummary"),
    ("GET /api/v1/care/requests/{id}", "getCareRequest"),
    ("GET /api/v1/care/requests/{id}/candidates", "listCareCandidates"),
    ("POST /api/v1/care/requests/{id}/eligibility", "checkCareEligibility"),
    ("POST /api/v1/care/requests/{id}/match", "matchCaregiver"),
    ("POST /api/v1/care/requests/{id}/book", "bookCare"),
    ("POST /api/v1/care/requests/{id}/deliver", "deliverCare"),
    ("POST /api/v1/care/requests/{id}/supervise", "superviseCare"),
    ("POST /api/v1/care/requests/{id}/evaluate", "evaluateCare"),
    ("POST /api/v1/care/requests/{id}/cancel", "cancelCareRequest"),
    ("GET /api/v1/exports/care-institutions", "exportCareInstitutions"),
    ("GET /api/v1/exports/caregivers", "exportCaregivers"),
    ("GET /api/v1/exports/care-requests", "exportCareRequests"),
    ("GET /api/v1/exports/care-summary", "exportCareSummary"),
    ("POST /api/v1/imports/care-institutions", "importCareInstitutions"),
    ("POST /api/v1/imports/caregivers", "importCaregivers"),
    // Monthly reports, month close (issue 27).
    ("GET /api/v1/reports/monthly", "getMonthlyReport"),
    ("GET /api/v1/exports/monthly-report", "exportMonthlyReport"),
    ("POST /api/v1/reports/monthly/closes", "closeMonth"),
    ("GET /api/v1/reports/monthly/closes/{jurisdiction}/{month}", "getMonthClose"),
    ("POST /api/v1/reports/monthly/closes/{jurisdiction}/{month}/reopen", "reopenMonth"),
    ("GET /api/v1/ledgers/summary", "getLedgerSummary"),
    ("GET /api/v1/ledgers/verifications/{id}", "getLedgerVerification"),
    ("POST /api/v1/ledgers/{group}/verifications", "verifyGroupMembership"),
    ("GET /api/v1/exports/ledgers/{group}", "exportLedger"),
    ("GET /api/v1/ledgers/{group}", "getLedger"),
    // Personnel archives: use, supplements, transfer, digitisation, disposal, register (issue 23).
    ("POST /api/v1/archives/{id}/loans", "requestArchiveLoan"),
    ("GET /api/v1/archive-loans", "listArchiveLoans"),
    ("GET /api/v1/archive-loans/{id}", "getArchiveLoan"),
    ("POST /api/v1/archive-loans/{id}/approve", "approveArchiveLoan"),
    ("POST /api/v1/archive-loans/{id}/reject", "rejectArchiveLoan"),
    ("POST /api/v1/archive-loans/{id}/lend", "lendArchiveLoan"),
    ("POST /api/v1/archive-loans/{id}/return", "returnArchiveLoan"),
    ("POST /api/v1/archives/{id}/digital", "recordArchiveDigitalCopy"),
    ("POST /api/v1/archives/{id}/supplements", "submitArchiveSupplement"),
    ("GET /api/v1/archive-supplements", "listArchiveSupplements"),
    ("GET /api/v1/archive-supplements/{id}", "getArchiveSupplement"),
    ("POST /api/v1/archive-supplements/{id}/accept", "acceptArchiveSupplement"),
    ("POST /api/v1/archive-supplements/{id}/return", "returnArchiveSupplement"),
    ("POST /api/v1/archives/{id}/dispatches", "dispatchArchive"),
    ("POST /api/v1/archive-dispatches/{id}/receive", "receiveArchiveDispatch"),
    ("POST /api/v1/archives/{id}/disposal", "disposeArchive"),
    ("GET /api/v1/archive-digitisation", "getArchiveDigitisation"),
    ("GET /api/v1/exports/archive-digitisation", "exportArchiveDigitisation"),
    ("GET /api/v1/exports/archives", "exportArchiveRegister"),
    // Community services (issue 25): health records.
    ("POST /api/v1/health-institutions", "createHealthInstitution"),
    ("GET /api/v1/health-institutions", "listHealthInstitutions"),
    ("GET /api/v1/health-institutions/{id}", "getHealthInstitution"),
    ("POST /api/v1/health-institutions/{id}/agreement", "signHealthAgreement"),
    ("POST /api/v1/health-records", "createHealthRecord"),
    ("GET /api/v1/health-records", "listHealthRecords"),
    ("GET /api/v1/health-records/missing", "listPeopleWithoutHealthRecord"),
    ("GET /api/v1/exports/health-records", "exportHealthRecords"),
    ("GET /api/v1/health-records/{id}", "getHealthRecord"),
    ("PUT /api/v1/health-records/{id}", "adjustHealthRecord"),
    ("POST /api/v1/health-records/{id}/examinations", "addHealthExamination"),
    // Community services (issue 25): activities.
    ("POST /api/v1/activity-plans", "createActivityPlan"),
    ("GET /api/v1/activity-plans", "listActivityPlans"),
    ("POST /api/v1/activities", "createActivity"),
    ("GET /api/v1/activities", "listActivities"),
    ("GET /api/v1/activities/counts", "countActivities"),
    ("GET /api/v1/activities/inactive", "listPeopleWithoutActivity"),
    ("GET /api/v1/exports/activities", "exportActivities"),
    ("GET /api/v1/activities/{id}", "getActivity"),
    ("POST /api/v1/activities/{id}/participants", "signUpForActivity"),
    ("GET /api/v1/activities/{id}/participants", "listActivityParticipants"),
    ("POST /api/v1/activities/{id}/attendance", "recordActivityAttendance"),
    // Community services (issue 25): volunteers.
    ("POST /api/v1/volunteers", "createVolunteer"),
    ("GET /api/v1/volunteers", "listVolunteers"),
    ("GET /api/v1/volunteers/hours", "listVolunteerHours"),
    ("GET /api/v1/exports/volunteers", "exportVolunteers"),
    ("GET /api/v1/volunteers/{id}", "getVolunteer"),
    ("POST /api/v1/volunteers/{id}/services", "recordVolunteerService"),
    ("GET /api/v1/volunteers/{id}/services", "listVolunteerServices"),
    ("POST /api/v1/imports/volunteers", "importVolunteers"),
    // Funding at every level (issue 27).
    ("POST /api/v1/funding/allocations", "createFundAllocation"),
    ("GET /api/v1/funding/allocations", "listFundAllocations"),
    ("GET /api/v1/funding/allocations/{id}", "getFundAllocation"),
    ("POST /api/v1/condolences/{id}/cancel", "cancelCondolence"),
    ("GET /api/v1/funding/year-statements/{jurisdiction}/{fund}/{year}", "getFundYearStatement"),
    ("POST /api/v1/funding/year-statements/{jurisdiction}/{fund}/{year}/close", "closeFundYear"),
    ("POST /api/v1/funding/year-statements/{jurisdiction}/{fund}/{year}/reopen", "reopenFundYear"),
    ("GET /api/v1/exports/fund-statement", "exportFundStatement"),
    // Personnel archives: register import, digitisation batches (issue 23).
    ("POST /api/v1/imports/archives", "importArchiveRegister"),
    ("POST /api/v1/archive-digitisation-batches", "createArchiveDigitisationBatch"),
    ("GET /api/v1/archive-digitisation-batches", "listArchiveDigitisationBatches"),
    ("GET /api/v1/archive-digitisation-batches/{id}", "getArchiveDigitisationBatch"),
    ("POST /api/v1/archive-digitisation-batches/{id}/results", "recordArchiveDigitisationResults"),
    ("POST /api/v1/archive-digitisation-batches/{id}/complete", "completeArchiveDigitisationBatch"),
    ("POST /api/v1/archive-digitisation-batches/{id}/cancel", "cancelArchiveDigitisationBatch"),
    // Community services (issue 25 part 4): high-age allowance.
    ("POST /api/v1/high-age-allowance/applications", "applyHighAgeAllowance"),
    ("GET /api/v1/high-age-allowance/applications", "listHighAgeAllowanceApplications"),
    ("GET /api/v1/high-age-allowance/applications/{id}", "getHighAgeAllowanceApplication"),
    ("POST /api/v1/high-age-allowance/applications/{id}/decision", "decideHighAgeAllowanceApplication"),
    ("GET /api/v1/high-age-allowance", "listHighAgeAllowanceMonth"),
    ("GET /api/v1/exports/high-age-allowance", "exportHighAgeAllowance"),
    // Community services (issue 25 part 4): assistance referral.
    ("POST /api/v1/assistance-referrals", "referForAssistance"),
    ("GET /api/v1/assistance-referrals", "listAssistanceReferrals"),
    ("GET /api/v1/assistance-referrals/{id}", "getAssistanceReferral"),
    ("POST /api/v1/assistance-referrals/{id}/answers", "answerAssistanceReferral"),
    ("GET /api/v1/exports/assistance-referrals", "exportAssistanceReferrals"),
    // Community services (issue 25): tracked errands.
    ("POST /api/v1/errands", "openErrand"),
    ("GET /api/v1/errands", "listErrands"),
    ("GET /api/v1/errands/senior-card-candidates", "listSeniorCardCandidates"),
    ("GET /api/v1/errands/{id}", "getErrand"),
    ("POST /api/v1/errands/{id}/submission", "submitErrand"),
    ("POST /api/v1/errands/{id}/result", "recordErrandResult"),
    ("POST /api/v1/errands/{id}/withdrawal", "withdrawErrand"),
    ("GET /api/v1/exports/errands", "exportErrands"),
    // Community services (issue 25): party members' organisation relations, health institution register.
    ("GET /api/v1/exports/health-institutions", "exportHealthInstitutions"),
    ("POST /api/v1/imports/health-institutions", "importHealthInstitutions"),
    ("POST /api/v1/party-branches", "createPartyBranch"),
    ("GET /api/v1/party-branches", "listPartyBranches"),
    ("GET /api/v1/party-branches/{id}", "getPartyBranch"),
    ("POST /api/v1/party-branches/{id}/close", "closePartyBranch"),
    ("POST /api/v1/party-branches/{id}/meetings", "recordPartyMeeting"),
    ("GET /api/v1/party-branches/{id}/meetings", "listPartyMeetings"),
    ("POST /api/v1/retirees/{id}/party-relation", "establishPartyRelation"),
    ("GET /api/v1/retirees/{id}/party-relation", "getPartyRelationHistory"),
    ("GET /api/v1/party-relations/worklist", "listPartyRelationWorklist"),
    ("GET /api/v1/party-relations/{id}", "getPartyRelation"),
    ("POST /api/v1/party-relations/{id}/transfer", "transferPartyRelation"),
    ("POST /api/v1/party-relations/{id}/accept", "acceptPartyRelation"),
    ("POST /api/v1/party-relations/{id}/withdraw", "withdrawPartyTransfer"),
    ("GET /api/v1/exports/party-members", "exportPartyMembers"),
    ("POST /api/v1/imports/party-members", "importPartyMembers"),
    // Reports, ledgers and funds (issue 27, reports27).
    ("POST /api/v1/funding/leader-awards/{id}/cancel", "cancelLeaderAward"),
    ("GET /api/v1/ledgers/{group}/comparison", "compareLedger"),
    ("GET /api/v1/exports/ledgers/{group}/comparison", "exportLedgerComparison"),
    // Special-group ledger feeds (issue 27, ledgers).
    ("POST /api/v1/feeds/ledgers/{kind}", "submitLedgerFeed"),
    ("GET /healthz", "getHealth"),
    ("GET /readyz", "getReadiness"),
    ("GET /metrics", "getMetrics"),
];

/// Applies everything the contract promises beyond what the route attributes say.
pub fn finish(spec: &mut OpenApi) {
    name_operations(spec);
    describe_responses(spec);
    mark_public_operations(spec);
    spec.servers = Some(vec![
        ServerBuilder::new()
            .url("/")
            .description(Some("This service (the API is under /api/v1; health, readiness and metrics at the root)"))
            .build(),
    ]);
    prune_unused_schemas(spec);
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("GET", &mut item.get),
        ("POST", &mut item.post),
        ("PUT", &mut item.put),
        ("PATCH", &mut item.patch),
        ("DELETE", &mut item.delete),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.as_mut().map(|op| (method, op)))
}

/// The table's name for `method path`, if it has one.
pub fn operation_id(method: &str, path: &str) -> Option<&'static str> {
    let key = format!("{method} {path}");
    OPERATION_IDS.iter().find(|(k, _)| *k == key).map(|(_, id)| *id)
}

/// Names every operation from [`OPERATION_IDS`]; one missing from the table keeps a camelCase form of its handler
/// name and the path's words (a test keeps the table complete, so this is a fallback, not the contract).
fn name_operations(spec: &mut OpenApi) {
    for (path, item) in spec.paths.paths.iter_mut() {
        for (method, op) in operations(item) {
            let id = match operation_id(method, path) {
                Some(id) => id.to_owned(),
                None => {
                    let words = path
                        .trim_start_matches("/api/v1")
                        .split('/')
                        .filter(|w| !w.is_empty() && !w.starts_with('{'))
                        .collect::<Vec<_>>()
                        .join("_");
                    camel_case(&format!("{}_{words}", op.operation_id.as_deref().unwrap_or(method)))
                }
            };
            op.operation_id = Some(id);
        }
    }
}

fn camel_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut upper = false;
    for c in s.chars() {
        if c == '_' || c == '-' || c == '.' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else if out.is_empty() {
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A response must have a description (OpenAPI 3.1 §4.8.17): one the route left empty says what its status means.
fn describe_responses(spec: &mut OpenApi) {
    for item in spec.paths.paths.values_mut() {
        for (_, op) in operations(item) {
            for (status, response) in op.responses.responses.iter_mut() {
                if let utoipa::openapi::RefOr::T(response) = response
                    && response.description.is_empty()
                {
                    response.description = success_meaning(status).to_owned();
                }
            }
        }
    }
}

fn success_meaning(status: &str) -> &'static str {
    match status {
        "200" => "OK: the resource or page asked for.",
        "201" => "Created: the new resource; `Location` names it and `ETag` is its version.",
        "202" => "Accepted: the job was queued; follow `Location` for its state.",
        "204" => "No content: done.",
        "304" => "Not modified.",
        _ => "See the response body.",
    }
}

/// Operations without a bearer requirement are public: they say so with `security: []`.
fn mark_public_operations(spec: &mut OpenApi) {
    for item in spec.paths.paths.values_mut() {
        for (_, op) in operations(item) {
            if op.security.is_none() {
                op.security = Some(Vec::new());
            }
        }
    }
}

/// Removes schemas nothing refers to (those registered for a generic page that utoipa inlines), transitively from
/// the paths. The examples stay: `components/examples` is the whole error catalogue, one example per code
/// (`openapi::ErrorCatalogue`), published whether or not an operation lists the code.
fn prune_unused_schemas(spec: &mut OpenApi) {
    let Some(components) = spec.components.as_mut() else { return };
    let paths = serde_json::to_string(&spec.paths).unwrap_or_default();
    let mut used_schemas = BTreeSet::new();
    let mut pending = vec![paths];
    while let Some(text) = pending.pop() {
        for name in refs(&text, "#/components/schemas/") {
            if used_schemas.insert(name.clone())
                && let Some(schema) = components.schemas.get(&name)
            {
                pending.push(serde_json::to_string(schema).unwrap_or_default());
            }
        }
    }
    components.schemas.retain(|name, _| used_schemas.contains(name));
}

/// Names after every occurrence of `prefix` in serialised JSON (a `$ref` value ends at the closing quote).
fn refs(text: &str, prefix: &str) -> Vec<String> {
    text.match_indices(prefix)
        .filter_map(|(at, _)| {
            let rest = &text[at + prefix.len()..];
            rest.find('"').map(|end| rest[..end].replace("~1", "/").replace("~0", "~"))
        })
        .collect()
}

/// Plain scalars that YAML 1.1 reads as booleans but YAML 1.2 as strings: the emitter writes them bare, as YAML 1.2
/// allows, so they are quoted here. (`true`/`false` are booleans in both and left alone.)
const YAML11_SPECIAL: &[&str] =
    &["y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"];

/// Whether YAML 1.1 would read this plain scalar as something other than the string YAML 1.2 reads: a boolean
/// (`on`, `no`, `y` …), a timestamp (`2026-05-12`, `2026-05-12T08:00:00Z`), a base-60 number (`12:30`) or a number
/// with underscores (`1_000`). The emitter never writes a date or such a number for a JSON value, so a bare one is a
/// string.
fn yaml11_reads_otherwise(scalar: &str) -> bool {
    if YAML11_SPECIAL.contains(&scalar) {
        return true;
    }
    let b = scalar.as_bytes();
    let digits = |range: std::ops::Range<usize>| b.get(range).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let timestamp = digits(0..4) && b.get(4) == Some(&b'-') && b.len() >= 8;
    let unsigned = scalar.trim_start_matches(['-', '+']);
    let numeric = !unsigned.is_empty()
        && unsigned.starts_with(|c: char| c.is_ascii_digit())
        && unsigned.chars().all(|c| c.is_ascii_digit() || c == '_' || c == ':' || c == '.');
    let sexagesimal = numeric && unsigned.contains(':');
    let underscored = numeric && unsigned.contains('_');
    timestamp || sexagesimal || underscored
}

/// Quotes every plain scalar, key or value, that a YAML 1.1 parser would read otherwise than YAML 1.2
/// ([`yaml11_reads_otherwise`]).
pub fn quote_yaml11(yaml: &str) -> String {
    let mut out = String::with_capacity(yaml.len() + 64);
    // The indentation of the line that opened a block scalar (`|`, `>-` …): deeper lines are its text, kept as is.
    let mut block: Option<usize> = None;
    for line in yaml.lines() {
        let indent = line.len() - line.trim_start().len();
        if let Some(parent) = block {
            if line.trim().is_empty() || indent > parent {
                out.push_str(line);
                out.push('\n');
                continue;
            }
            block = None;
        }
        let header = line.trim_end().rsplit(' ').next().unwrap_or_default();
        if header.starts_with(['|', '>']) && header.len() <= 3 {
            block = Some(indent);
        }
        out.push_str(&quote_line(line));
        out.push('\n');
    }
    out
}

fn quote_line(line: &str) -> String {
    let indent = line.len() - line.trim_start().len();
    let (lead, mut rest) = line.split_at(indent);
    let mut out = lead.to_owned();
    while let Some(item) = rest.strip_prefix("- ") {
        out.push_str("- ");
        rest = item;
    }
    if yaml11_reads_otherwise(rest) {
        out.push_str(&format!("'{rest}'"));
        return out;
    }
    let (key, value) = match rest.split_once(": ") {
        Some((key, value)) => (key, Some(value)),
        None => match rest.strip_suffix(':') {
            Some(key) => (key, None),
            None => {
                out.push_str(rest);
                return out;
            }
        },
    };
    if yaml11_reads_otherwise(key) {
        out.push_str(&format!("'{key}'"));
    } else {
        out.push_str(key);
    }
    match value {
        Some(value) if yaml11_reads_otherwise(value) => out.push_str(&format!(": '{value}'")),
        Some(value) => {
            out.push_str(": ");
            out.push_str(value);
        }
        None => out.push(':'),
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_operation_has_a_camel_case_id_from_the_table_and_every_line_is_used() {
        let spec = crate::service::openapi();
        let mut seen = BTreeSet::new();
        for (path, item) in spec.paths.paths.iter() {
            let mut item = item.clone();
            for (method, op) in operations(&mut item) {
                let id = operation_id(method, path)
                    .unwrap_or_else(|| panic!("{method} {path} has no line in contract::OPERATION_IDS"));
                assert_eq!(op.operation_id.as_deref(), Some(id));
                assert!(
                    id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                        && id.chars().all(|c| c.is_ascii_alphanumeric()),
                    "{id} is not camelCase"
                );
                seen.insert(format!("{method} {path}"));
            }
        }
        let mut names = BTreeSet::new();
        for (key, id) in OPERATION_IDS {
            assert!(seen.contains(*key), "contract::OPERATION_IDS names {key}, which is not served");
            assert!(names.insert(*id), "operationId {id} is used twice");
        }
    }

    #[test]
    fn every_response_is_described_and_public_operations_say_so() {
        let json = serde_json::to_value(crate::service::openapi()).unwrap();
        for (path, item) in json["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                for (status, response) in op["responses"].as_object().unwrap() {
                    let described = response.get("$ref").is_some()
                        || response["description"].as_str().is_some_and(|d| !d.is_empty());
                    assert!(described, "{method} {path} {status} has no description");
                }
                assert!(op["security"].is_array(), "{method} {path} does not state its security");
            }
        }
        assert_eq!(json["paths"]["/healthz"]["get"]["security"], serde_json::json!([]));
        assert_eq!(json["servers"][0]["url"], "/");
    }

    #[test]
    fn no_schema_is_unused() {
        let spec = crate::service::openapi();
        let text = serde_json::to_string(&spec).unwrap();
        let components = spec.components.unwrap();
        for name in components.schemas.keys() {
            assert!(text.contains(&format!("\"#/components/schemas/{name}\"")), "schema {name} is unused");
        }
    }

    #[test]
    fn yaml11_booleans_are_quoted_as_keys_and_values() {
        assert_eq!(quote_line("      - name: on"), "      - name: 'on'");
        assert_eq!(quote_line("      - on"), "      - 'on'");
        assert_eq!(quote_line("        on:"), "        'on':");
        assert_eq!(quote_line("        no: 3"), "        'no': 3");
        assert_eq!(quote_line("  description: turn it on"), "  description: turn it on");
        assert_eq!(quote_line("  enum:"), "  enum:");
        assert_eq!(quote_line("  required: true"), "  required: true");
        assert_eq!(quote_line("  example: 2026-05-12"), "  example: '2026-05-12'");
        assert_eq!(quote_line("  - 2026-05-12T08:00:00Z"), "  - '2026-05-12T08:00:00Z'");
        assert_eq!(quote_line("  at: 12:30"), "  at: '12:30'");
        assert_eq!(quote_line("  count: 1_000"), "  count: '1_000'");
        assert_eq!(quote_line("  example: 2026"), "  example: 2026");
        assert_eq!(quote_line("  example: -3.5"), "  example: -3.5");
    }

    #[test]
    fn block_scalars_are_left_as_they_are() {
        let yaml = "a:\n  example: |-\n    date,kind\n    2026-02-14,workday\n    on\n  b: on\n";
        assert_eq!(quote_yaml11(yaml), "a:\n  example: |-\n    date,kind\n    2026-02-14,workday\n    on\n  b: 'on'\n");
    }

    #[test]
    fn enums_carry_their_chinese_labels() {
        let json = serde_json::to_value(crate::service::openapi()).unwrap();
        let sex = &json["components"]["schemas"]["Sex"];
        assert_eq!(sex["enum"], serde_json::json!(["male", "female"]));
        assert_eq!(sex["x-enum-descriptions"], serde_json::json!(["男", "女"]));
        assert!(sex["description"].as_str().unwrap().contains("`female` 女"), "{sex}");
    }
}
