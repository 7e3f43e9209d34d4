//! The catalogue of error codes: every stable `code` the service answers with, each with its HTTP status, a short
//! title and default messages in Chinese and English. The use cases (`app::error::AppError`) and the API take code
//! and status from here; the OpenAPI document lists and exemplifies the codes from here (docs/api-conventions.md,
//! "Error codes").
//!
//! A code's status is the one the answer carries when the code is the whole answer. Inside a 422 answer's
//! `errors` list, any code may appear as the rule a field broke (a batch row that hits `id_number_taken`, say).
//! Messages with values (a limit, a date) are formatted where the error is raised; the catalogue's messages are
//! the defaults and the documentation.

/// Status numbers the service answers errors with, each with the Chinese `title` of its problem body (the English
/// title is the status's reason phrase).
pub const STATUS_TITLES: [(u16, &str); 17] = [
    (400, "请求无法解析"),
    (401, "未认证"),
    (403, "无权操作"),
    (404, "资源不存在"),
    (405, "方法不允许"),
    (408, "请求超时"),
    (409, "与现有数据冲突"),
    (410, "数据已过保留期"),
    (412, "版本不一致"),
    (413, "请求体过大"),
    (414, "地址过长"),
    (415, "不支持的媒体类型"),
    (422, "请求数据未通过校验"),
    (428, "缺少前置条件"),
    (429, "请求过于频繁"),
    (500, "服务器内部错误"),
    (503, "服务暂不可用"),
];

/// The Chinese title of a problem with `status` (the 500 title for a status not in [`STATUS_TITLES`]).
pub fn status_title_zh(status: u16) -> &'static str {
    STATUS_TITLES.iter().find(|(s, _)| *s == status).map_or("服务器内部错误", |(_, title)| title)
}

/// Builds [`ErrorCode`] from one line per code: `Variant = "code", status, "title", "中文", "English";`.
macro_rules! error_codes {
    ($($variant:ident = $code:literal, $status:literal, $title:literal, $zh:literal, $en:literal;)+) => {
        /// A stable error code of the service (see the module documentation).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $(
                #[doc = concat!("`", $code, "` (", stringify!($status), "): ", $title, ".")]
                $variant,
            )+
        }

        impl ErrorCode {
            /// Every code, in catalogue order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            /// The code as sent in `code` and `type` (`snake_case`).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)+
                }
            }

            /// The HTTP status of an answer with this code.
            pub const fn status(self) -> u16 {
                match self {
                    $(ErrorCode::$variant => $status,)+
                }
            }

            /// A short English title: when the code is answered.
            pub const fn title(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $title,)+
                }
            }

            /// The default message in Chinese.
            pub const fn message_zh(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $zh,)+
                }
            }

            /// The default message in English.
            pub const fn message_en(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $en,)+
                }
            }

            /// The code spelled `code`, if the catalogue has it.
            pub fn parse(code: &str) -> Option<Self> {
                match code {
                    $($code => Some(ErrorCode::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

error_codes! {
    // 400: the request cannot be read at all.
    InvalidJson = "invalid_json", 400, "Body is not valid JSON", "请求体不是有效的JSON", "request body is not valid JSON";
    InvalidBody = "invalid_body", 400, "Body cannot be read", "请求体读取失败", "cannot read body";
    InvalidQuery = "invalid_query", 400, "Query string cannot be parsed", "查询参数无法解析", "query string cannot be parsed";
    InvalidUrlEncoding = "invalid_url_encoding", 400, "Percent-encoding is not UTF-8", "地址或查询参数的百分号编码不是有效的UTF-8", "the percent-encoded path or query is not valid UTF-8";
    NulCharacter = "nul_character", 400, "NUL character in the URL or body", "地址或查询参数不能包含NUL字符（%00）", "the path and query must not contain the NUL character (%00)";
    InvalidIdempotencyKey = "invalid_idempotency_key", 400, "Malformed Idempotency-Key", "Idempotency-Key 应为1至200个可见ASCII字符", "Idempotency-Key must be 1 to 200 visible ASCII characters";
    CsvSyntax = "csv_syntax", 400, "File is not valid CSV", "CSV 格式错误", "CSV syntax error";
    UnreadableFile = "unreadable_file", 400, "File cannot be read", "文件无法读取", "the file cannot be read";
    JurisdictionMissing = "jurisdiction_missing", 400, "Jurisdiction absent (command line)", "区划不存在", "the jurisdiction does not exist; import the division tree first";
    // 401: who is calling is not established.
    MissingToken = "missing_token", 401, "No bearer token", "缺少 Authorization: Bearer 令牌", "send Authorization: Bearer <token> from POST /api/v1/auth/token";
    InvalidToken = "invalid_token", 401, "Token invalid", "令牌无效", "the token is invalid";
    TokenExpired = "token_expired", 401, "Token expired", "令牌已过期，请重新获取", "the token has expired";
    AccountInactive = "account_inactive", 401, "Account unknown or disabled", "账号不存在或已停用", "the account is unknown or disabled";
    InvalidCredentials = "invalid_credentials", 401, "Wrong credentials", "用户名或密码错误", "the credentials are wrong or the account is disabled";
    // 403, 404, 405, 408.
    Forbidden = "forbidden", 403, "Role may not do this", "当前角色无权执行此操作", "your role may not perform this action";
    NotFound = "not_found", 404, "Absent or outside the caller's subtree", "资源不存在", "no such resource";
    NoPolicyInForce = "no_policy_in_force", 404, "No policy in force on the day", "该区划及其上级均无生效的政策参数", "no policy is in force for this node or its ancestors";
    MethodNotAllowed = "method_not_allowed", 405, "Method not allowed on the path", "该地址不支持该方法", "the method is not allowed here";
    RequestTimeout = "request_timeout", 408, "Body sent too slowly", "请求体发送过慢，连接已断开", "the request body arrived too slowly; the connection is closed";
    // 409: conflicts with the data as it is.
    Conflict = "conflict", 409, "Duplicates an existing record", "与已有记录重复", "conflicts with an existing record";
    ReferencedRecordMissing = "referenced_record_missing", 409, "Reference missing or still referenced", "引用的记录不存在或仍被引用", "a referenced record is missing or still referenced";
    IdNumberTaken = "id_number_taken", 409, "Resident ID registered already", "该公民身份号码已登记", "a retiree with this resident ID is registered already";
    DependentIdNumberTaken = "dependent_id_number_taken", 409, "Dependant registered already", "该供养亲属已登记", "this dependent is registered for the retiree already";
    LoginTaken = "login_taken", 409, "Login name taken", "用户名已被使用", "the user exists already";
    JurisdictionCodeTaken = "jurisdiction_code_taken", 409, "Division code exists", "该区划代码已存在", "this division code exists already";
    GroupNameTaken = "group_name_taken", 409, "Group name taken in the community", "本社区已有同名小组", "the community has a group of this name";
    AlreadyInGroup = "already_in_group", 409, "Retiree in a group already", "该退休人员已在一个小组中", "the retiree is in a group already";
    AlreadyAwarded = "already_awarded", 409, "Leader awarded this year already", "该小组长本年度已获奖励", "the leader was awarded this year already";
    BudgetExists = "budget_exists", 409, "Budget of the year exists", "该区本年度预算已编制", "the district has a budget for this year";
    StatementClosed = "statement_closed", 409, "Year's statement closed", "该年度经费已结算，不能再登记支出", "the statement of this year is closed";
    UseLeaderAwards = "use_leader_awards", 409, "Awards go through leader-awards", "优秀小组长奖励金通过 POST /funding/leader-awards 登记", "excellent-leader awards are recorded with POST /funding/leader-awards";
    PetitionWrongStatus = "petition_wrong_status", 409, "Action does not fit the case's status (GUIDE 接待制度)", "该件当前状态不能办理此操作", "the case's status does not allow this action";
    PetitionReopenWindowPassed = "petition_reopen_window_passed", 409, "Reopen window over", "已超过重新办理期限", "the reopen window is over";
    CertificationRequired = "certification_required", 409, "Resumes by certification only", "因未按时认证暂停的养老金，登记资格认证后自动恢复", "a pension suspended for an overdue certification resumes when a certification is recorded";
    StatusChanged = "status_changed", 409, "Pension status changed meanwhile", "养老金状态刚被他人变更，请刷新后重试", "the pension status changed meanwhile; reload and retry";
    ReasonContradictsRecord = "reason_contradicts_record", 409, "Reason contradicts the record", "暂停理由与记录不符：该人员的资格认证仍在有效期内", "the reason contradicts the record: the person's certification is still valid";
    // Elderly care services (issue 26; GUIDE 第二部分六).
    CareWrongStatus = "care_wrong_status", 409, "Action does not fit the request's status (GUIDE 第二部分六 4)", "该服务申请当前状态不能办理此操作", "the request's status does not allow this action";
    CareBookingConflict = "care_booking_conflict", 409, "Caregiver booked in an overlapping slot", "该护理员在该时段已有预约", "the caregiver is booked in an overlapping slot";
    AlreadyMissing = "already_missing", 409, "Recorded missing already (CS Art. 32(2))", "该人员已登记为下落不明", "the person is recorded missing already; record that they were found first";
    NotMissing = "not_missing", 409, "Not recorded missing (CS Art. 32(2))", "该人员未登记为下落不明", "the person is not recorded missing";
    AlreadySuspended = "already_suspended", 409, "Pension suspended already", "养老金已暂停发放", "the pension is already suspended";
    NotSuspended = "not_suspended", 409, "Pension not suspended", "养老金未处于暂停状态，无需恢复", "the pension is not suspended";
    PensionStopped = "pension_stopped", 409, "Pension stopped", "养老金已终止发放，状态不能再变更", "the pension is stopped";
    PensionTransferredOut = "pension_transferred_out", 409, "Person transferred out of the city", "该人员已转出本市，状态不能再变更", "the person has transferred out of the city";
    DeathReportExists = "death_report_exists", 409, "Death report in progress or in force", "该退休人员已有待核实或已生效的死亡报告", "this person has a death report in progress or in force";
    DeathReportNotPending = "death_report_not_pending", 409, "Death report not awaiting verification", "该死亡报告不在待核实状态", "the report is not awaiting verification";
    DeathReportNotVerified = "death_report_not_verified", 409, "Death report not verified", "死亡报告尚未核实", "the report is not verified";
    BenefitsAssessed = "benefits_assessed", 409, "Benefits assessed already", "丧葬抚恤待遇已核定", "the benefits are assessed already";
    DeathNotVerified = "death_not_verified", 409, "No verified death report", "该人员没有已核实的死亡报告", "the person has no verified death report";
    CondolenceAlreadyPaid = "condolence_already_paid", 409, "Death condolence paid already (XM Art. 21(3))", "该亡故人员的家属慰问金已发放", "the death condolence to this person's family is paid already";
    RetireeDeceased = "retiree_deceased", 409, "Person's death verified", "该人员已核实死亡，不能再登记此类慰问", "the person's death is verified; this kind of condolence no longer applies";
    DeathViaReport = "death_via_report", 409, "Deaths go through death reports", "死亡减员经死亡报告核实后自动办理", "deaths leave the rolls when a death report is verified (POST /death-reports)";
    SupportApplicationExists = "support_application_exists", 409, "Open support application exists", "该供养亲属已有未结束的供养待遇申请", "this dependant has an open application already";
    DependentNotSupported = "dependent_not_supported", 409, "Dependant receives no support", "该亲属未享受供养待遇，无需资格认证", "this dependant receives no support and is not certified";
    StepOutOfOrder = "step_out_of_order", 409, "Support step out of order", "须按社区调查、街道审核、人社批准的顺序办理", "steps go investigation, review, approval, in that order";
    ApplicationClosed = "application_closed", 409, "Application closed", "该申请已结束", "the application is closed";
    SupportNotApproved = "support_not_approved", 409, "Support not approved", "供养待遇未获批准", "the support is not approved";
    NotUnderFraudReview = "not_under_fraud_review", 409, "Support not under fraud review", "该供养待遇未处于疑似骗领核查中", "the support is not under fraud review";
    NotOnRoll = "not_on_roll", 409, "Person off the rolls", "该人员已不在管理名册中", "the person is not on a roll any more";
    TransferExists = "transfer_exists", 409, "Transfer in progress", "该人员已有办理中的迁移", "the person has a transfer in progress";
    TransferCannotBeRefused = "transfer_cannot_be_refused", 409, "Complete transfer must be accepted", "申请材料齐全，转入地应一律接收，不得推诿", "a complete application must be accepted";
    TransferWrongStatus = "transfer_wrong_status", 409, "Transfer status forbids the action", "该迁移申请当前状态不能办理此操作", "the transfer's status does not allow this action";
    TransferIncomplete = "transfer_incomplete", 409, "Transfer lacks documents", "申请材料不齐，须补正后办理", "the application lacks documents";
    VisitDone = "visit_done", 409, "Visit recorded already", "该走访任务已完成", "the visit is recorded already";
    NotAPartyMember = "not_a_party_member", 409, "Not a party member", "该人员不是党员，无组织关系可转接", "the person is not a party member";
    ItemReturned = "item_returned", 409, "Handover item returned", "该人员已退回", "the item was returned";
    ItemSettled = "item_settled", 409, "Handover item settled", "该人员已接收或退回", "the item is settled already";
    HandoverStepMissing = "handover_step_missing", 409, "Handover step missing", "接收前须完成人事档案移交（或登记免移交）和签订管理服务协议", "the archive step (or its exemption) and the agreement step must be recorded before the acceptance";
    RecoveryDeadlineNotPassed = "recovery_deadline_not_passed", 409, "Recovery deadline not passed", "追回期限未到，不能移交", "the recovery deadline has not passed: no referral yet";
    OverpaymentSettled = "overpayment_settled", 409, "Overpayment settled", "多领养老金已结清", "nothing is owed any more";
    OverpaymentClosed = "overpayment_closed", 409, "Overpayment closed", "该笔多领养老金已结清、移交或作废", "the overpayment is settled, referred or void";
    // 410: what was asked for is older than the retention period (issue 21.12).
    EventGone = "event_gone", 410, "Feed position older than the retention period", "该位置之后的部分事件已超过保留期被删除，无法从此处续读；请从全量导出重新同步后自 0 读起", "events after this cursor are past the retention period and deleted; resynchronise from an export and read from 0";
    // 412, 413, 414, 415.
    VersionMismatch = "version_mismatch", 412, "If-Match names an older version", "资源已被修改，If-Match 中的版本已过期，请重新读取后再提交", "the resource changed since the version in If-Match; read it again and retry";
    PayloadTooLarge = "payload_too_large", 413, "Body over the limit", "请求体超过上限", "request body exceeds the limit";
    FileTooLarge = "file_too_large", 413, "File unpacks over the limit", "文件解压后超过上限", "the file unpacks to more than the limit";
    UriTooLong = "uri_too_long", 414, "Path and query over 8 KiB", "地址和查询参数过长", "the path and query are too long";
    UnsupportedMediaType = "unsupported_media_type", 415, "Wrong Content-Type", "Content-Type 不受支持", "the Content-Type is not supported";
    // 422: the request is read, but breaks a rule.
    ValidationFailed = "validation_failed", 422, "Several fields break rules; see errors", "多处数据未通过校验，详见errors", "fields failed validation; see errors";
    Required = "required", 422, "Required value missing", "缺少必填项", "is required";
    Length = "length", 422, "Text length out of bounds", "长度不符合要求", "length out of bounds";
    TooLong = "too_long", 422, "Text too long", "内容过长", "too long";
    ControlCharacters = "control_characters", 422, "Control characters in text", "不能包含控制字符", "must not contain control characters";
    InvalidType = "invalid_type", 422, "Value of the wrong JSON type", "数据类型错误", "value of the wrong type";
    InvalidValue = "invalid_value", 422, "Value not accepted", "取值无效", "invalid value";
    InvalidEnum = "invalid_enum", 422, "Not one of the allowed codes", "取值不在允许的代码中", "not one of the allowed codes";
    InvalidBoolean = "invalid_boolean", 422, "Not a yes/no value", "不是是/否值，应为 true、false、是 或 否", "not a boolean; use true, false, 是 or 否";
    InvalidDate = "invalid_date", 422, "Not a date", "不是有效日期，应为 YYYY-MM-DD", "not a valid date; use YYYY-MM-DD";
    InvalidMonth = "invalid_month", 422, "Not a month", "不是有效月份，应为 YYYY-MM", "not a valid month; use YYYY-MM";
    InvalidYear = "invalid_year", 422, "Not a year", "应为四位年份", "must be a four-digit year";
    InvalidInstant = "invalid_instant", 422, "Not an RFC 3339 instant", "应为 RFC 3339 时间，如 2026-11-01T00:00:00+08:00", "must be an RFC 3339 instant such as 2026-11-01T00:00:00+08:00";
    InvalidCursor = "invalid_cursor", 422, "Cursor not from the previous page", "cursor 无效，请使用上一页返回的 next_cursor", "the cursor is invalid; use next_cursor of the previous page";
    InvalidLimit = "invalid_limit", 422, "Limit out of range", "limit 超出范围", "limit is out of range";
    LimitRange = "limit_range", 422, "Limit out of 1-500", "limit 应为1至500的整数", "limit must be a whole number from 1 to 500";
    UnknownField = "unknown_field", 422, "Unknown field", "未知字段", "unknown field";
    OutOfRange = "out_of_range", 422, "Number out of range", "数值超出范围", "out of range";
    Minimum = "minimum", 422, "Below the minimum", "不能为负数", "must not be negative";
    MustBePositive = "must_be_positive", 422, "Amount not above zero", "金额应大于0", "amount must be above 0";
    AmountNotPositive = "amount_not_positive", 422, "Amount not above zero", "金额应大于0", "the amount must be positive";
    CountRange = "count_range", 422, "Day count out of range", "天数超出范围", "the count of days is out of range";
    YearRange = "year_range", 422, "Year outside the calendar", "年份超出日历范围", "the year is outside the calendar";
    ScoreRange = "score_range", 422, "Score not within 0-1", "score 应为0到1之间的小数", "score must be a decimal between 0 and 1";
    AgeRange = "age_range", 422, "Age not within 0-150", "年龄应为0至150的整数", "age must be 0 to 150";
    AgeOrder = "age_order", 422, "age_max below age_min", "age_max 不能小于 age_min", "age_max cannot be below age_min";
    DateOrder = "date_order", 422, "End before start", "结束日期早于开始日期", "the end date is before the start date";
    DateInFuture = "date_in_future", 422, "Date in the future", "日期不能晚于今天", "the date cannot be in the future";
    AsOfInFuture = "as_of_in_future", 422, "as_of in the future", "as_of 不能晚于今天", "as_of must not be after today";
    MonthInFuture = "month_in_future", 422, "Month after this month", "生效月份不能晚于本月", "the effective month cannot be after this month";
    MonthTooLate = "month_too_late", 422, "Month after next month", "已发放月份不能晚于下月", "paid_through cannot be later than next month";
    MonthBeforeRetirement = "month_before_retirement", 422, "Month before retirement", "生效月份不能早于退休月份", "the effective month cannot be before the month of retirement";
    MonthBeforeSuspension = "month_before_suspension", 422, "Month before the suspension", "恢复月份不能早于暂停月份", "the month of resumption cannot be before the month of suspension";
    BeforeBirth = "before_birth", 422, "Date before the birth", "死亡日期不能早于出生日期", "the date of death cannot be before the birth date";
    BeforeDeath = "before_death", 422, "Date before the death", "日期不能早于死亡日期", "the date cannot be before the death";
    BeforeRetirement = "before_retirement", 422, "Date before the retirement", "日期不能早于退休日期", "the date cannot be before the retirement date";
    BeforeMissingSince = "before_missing_since", 422, "Found before going missing", "找到日期不能早于下落不明之日", "the day found cannot be before the day the person went missing";
    MissingSinceRequired = "missing_since_required", 422, "Missing person not recorded (CS Art. 32(2))", "须先登记下落不明的日期（POST /retirees/{id}/missing）", "record the date the person went missing first (POST /retirees/{id}/missing)";
    MissingPeriodNotReached = "missing_period_not_reached", 422, "Not missing long enough (CS Art. 32(2))", "下落不明尚未超过政策规定的月数", "the person has not been missing for more than the policy's months yet";
    BeforeBatchMonth = "before_batch_month", 422, "Received before the batch month", "接收日期不能早于移交月份", "the day received cannot be before the batch's month";
    BeforeSupport = "before_support", 422, "Support ends before it started", "终止日期不能早于供养开始月份", "support cannot end before it started";
    ReferenceDateOutsideYear = "reference_date_outside_year", 422, "Reference date outside the year", "基准日应在该年度或上一年度内", "reference_date must lie in the year or the year before";
    ApplicationWindowClosed = "application_window_closed", 422, "Support applied for too late", "供养待遇申请期限已过", "the window to apply for support has closed";
    IdNumberLength = "id_number_length", 422, "Resident ID not 18 characters", "公民身份号码应为18位", "resident ID must have 18 characters";
    IdNumberFormat = "id_number_format", 422, "Resident ID malformed", "公民身份号码前17位应为数字，第18位应为数字或X", "resident ID must be 17 digits followed by a digit or X";
    IdNumberAreaCode = "id_number_area_code", 422, "Resident ID area code invalid", "公民身份号码的地址码不是有效的行政区划代码", "resident ID area code is not a valid administrative division code";
    IdNumberBirthDate = "id_number_birth_date", 422, "Resident ID birth date invalid", "公民身份号码中的出生日期不是有效日期", "resident ID birth date is not a calendar date";
    IdNumberBirthDateInFuture = "id_number_birth_date_in_future", 422, "Resident ID birth date in the future", "公民身份号码中的出生日期晚于今天", "resident ID birth date is in the future";
    IdNumberChecksum = "id_number_checksum", 422, "Resident ID checksum wrong", "公民身份号码校验码错误（GB 11643 ISO 7064 MOD 11-2）", "resident ID check digit is wrong (GB 11643 ISO 7064 MOD 11-2)";
    IdNumberAsNumber = "id_number_as_number", 422, "Resident ID stored as a number", "公民身份号码被存为数字，请将该列设为文本", "the resident ID is stored as a number; format the column as text";
    BirthDateMismatch = "birth_date_mismatch", 422, "Birth date contradicts the resident ID", "出生日期与公民身份号码不符", "birth_date does not agree with the resident ID";
    SexMismatch = "sex_mismatch", 422, "Sex contradicts the resident ID", "性别与公民身份号码不符", "sex does not agree with the resident ID";
    RetirementBeforeBirth = "retirement_before_birth", 422, "Retirement before birth", "退休日期应晚于出生日期", "retirement_date must be after the birth date";
    RetirementTooFarAhead = "retirement_too_far_ahead", 422, "Retirement over a year ahead", "退休日期不能晚于一年之后", "retirement_date must be within a year from today";
    DerivedSpecialGroup = "derived_special_group", 422, "Special group is derived", "该特殊群体由出生日期或党员字段得出，不能直接登记", "the special group is derived from the birth date or the party_member field";
    SpecialGroupFormat = "special_group_format", 422, "Special groups malformed", "特殊群体格式应为 群体:开始日期[:结束日期]，多个用分号分隔", "special groups must be group:start[:end], separated by semicolons";
    PhoneFormat = "phone_format", 422, "Phone number malformed", "电话号码应为11位手机号或带区号的固定电话，如0592-1234567", "phone must be an 11-digit mobile number or a landline such as 0592-1234567";
    UsernameFormat = "username_format", 422, "Username malformed", "用户名应为3至50个字母、数字或 . _ -", "username must be 3 to 50 letters, digits, '.', '_' or '-'";
    PasswordLength = "password_length", 422, "Password length out of bounds", "密码长度应为10至128个字符", "password must be 10 to 128 characters";
    CannotChangeOwnAccess = "cannot_change_own_access", 422, "Own role or scope unchangeable", "不能修改自己的角色、区划或停用自己", "you cannot change your own role or jurisdiction or disable yourself";
    InvalidSecret = "invalid_secret", 422, "Webhook secret malformed", "密钥应为32至256个可见字符", "the secret must be 32 to 256 visible characters";
    InvalidUrl = "invalid_url", 422, "Webhook URL invalid", "不是有效的 URL", "is not a valid absolute URL";
    WebhookHostNotAllowed = "webhook_host_not_allowed", 422, "Webhook host not allowed", "目标主机不在允许列表（WEBHOOK_ALLOWED_HOSTS）中", "the host is not on the allow-list (WEBHOOK_ALLOWED_HOSTS)";
    UnknownEventType = "unknown_event_type", 422, "Unknown event type", "未知的事件类型", "unknown event type";
    IdempotencyKeyReused = "idempotency_key_reused", 422, "Idempotency-Key used with another body", "该 Idempotency-Key 已用于另一个请求体", "this Idempotency-Key was used with a different request";
    JurisdictionNotFound = "jurisdiction_not_found", 422, "Jurisdiction absent or outside the subtree", "区划不存在或不在您的管辖范围内", "no such jurisdiction in your subtree";
    JurisdictionCodeFormat = "jurisdiction_code_format", 422, "Division code malformed", "区划代码应为2、4、6、9或12位数字", "jurisdiction code must be 2, 4, 6, 9 or 12 digits";
    JurisdictionCodeLevelMismatch = "jurisdiction_code_level_mismatch", 422, "Division code length contradicts the level", "区划代码位数与级别不符", "the code's length does not match the level";
    ParentRejected = "parent_rejected", 422, "Parent row not imported", "上级区划未能导入", "the parent was not imported";
    OutOfScope = "out_of_scope", 422, "Node outside the caller's subtree", "该区划不在您的管辖范围内", "this node would lie outside your jurisdiction";
    ParentLevel = "parent_level", 422, "Parent of the wrong level", "上级节点的级别不符", "the parent is of the wrong level";
    NotACommunity = "not_a_community", 422, "Code is not a community", "该代码不是社区（村）级区划", "the code is not a community";
    NotADistrict = "not_a_district", 422, "Code is not a district", "经费按区（县）编制和结算", "the fund is budgeted and settled per district";
    CommunityCodeFormat = "community_code_format", 422, "Community code malformed", "社区代码应为12位数字", "community_code must be a 12-digit community code";
    CommunityNotFound = "community_not_found", 422, "Community absent or outside the subtree", "社区不存在或不在您的管辖范围内", "no such community in your jurisdiction";
    RetireeNotFound = "retiree_not_found", 422, "Retiree absent or outside the subtree", "退休人员不存在或不在您的管辖范围内", "no such retiree in your jurisdiction";
    DependentNotFound = "dependent_not_found", 422, "Dependant absent or outside the subtree", "供养亲属不存在或不在您的管辖范围内", "no such dependant in your jurisdiction";
    DependentIsRetiree = "dependent_is_retiree", 422, "Dependant is the retiree", "供养亲属的公民身份号码不能与退休人员本人相同", "a dependent cannot have the retiree's own resident ID";
    LeaderNotFound = "leader_not_found", 422, "No such leader in office", "该区本年度没有这位小组长", "no such leader in office in the district this year";
    NotAMember = "not_a_member", 422, "Leader not a member", "小组长须为本小组成员", "the leader must be a member of the group";
    NotInCommunity = "not_in_community", 422, "Retiree outside the group's community", "该退休人员不在本小组所在社区", "the retiree does not live in the group's community";
    ElectionBeforeCurrent = "election_before_current", 422, "Election before the current leader's", "选举日期早于现任小组长的选举日期", "the election is before the current leader's";
    ReasonRequired = "reason_required", 422, "Rejection without a reason", "不通过时须写明理由", "a rejection needs the reason in note";
    RequiredForMethod = "required_for_method", 422, "Field required by the method", "该认证方式须填写此项", "required for this certification method";
    NotForMethod = "not_for_method", 422, "Field not for the method", "该认证方式不应填写此项", "does not apply to this certification method";
    RequiredForStep = "required_for_step", 422, "Field required by the step", "档案移交须填写卷数和是否齐全，或免交理由", "archive_received needs volumes and complete, or an exemption";
    NotForStep = "not_for_step", 422, "Field not for the step", "volumes、complete、exemption 只用于档案移交", "volumes, complete and exemption belong to archive_received";
    NotForOutOfCity = "not_for_out_of_city", 422, "Field not for moves out of the city", "迁出本市不填写 to_community、id_number", "to_community and id_number are for moves within the city";
    SameCommunity = "same_community", 422, "Transfer to the same community", "转入社区与现社区相同", "the person already belongs to this community";
    DibaoReferralRequired = "dibao_referral_required", 422, "Hardship visit needs the referral answer", "特困人员走访须注明是否协助申请最低生活保障", "a visit to a family in hardship states whether it was referred for the minimum living allowance";
    CondolenceCapExceeded = "condolence_cap_exceeded", 422, "Paid condolences of the year used up (XM Art. 21(2))", "该人员本年度该类慰问已达上限，可登记为不发放慰问金的探望", "the paid condolences of this kind are used up this year; record a visit without payment";
    CondolenceKindNotInPolicy = "condolence_kind_not_in_policy", 422, "Condolence kind not in the policy", "适用的政策未规定该慰问种类", "the policy in force does not provide for this kind of condolence";
    ExpenseCategoryNotAllowed = "expense_category_not_allowed", 422, "Expense category not allowed", "适用的政策不允许经费用于该类支出", "the policy in force does not allow the fund to pay for this category";
    BudgetExceeded = "budget_exceeded", 422, "Expense over the budget", "超出预算", "over budget";
    BudgetMissing = "budget_missing", 422, "No budget for the year", "该年度尚未编制经费预算", "there is no budget for the year";
    ExcellentQuotaExceeded = "excellent_quota_exceeded", 422, "Excellent-leader places taken", "本年度优秀小组长名额已满", "the excellent-leader places of the year are taken";
    MonthlyPensionUnknown = "monthly_pension_unknown", 422, "No monthly pension on record", "未登记月养老金，无法计算", "no monthly pension on record to compute from";
    BenefitAmountRequired = "benefit_amount_required", 422, "Benefit amount must be entered", "该项待遇按省规定或社平工资计发，须填写核定金额", "the policy leaves this benefit to the case: enter the amount";
    BenefitAmountByFormula = "benefit_amount_by_formula", 422, "Benefit computed by formula", "该项待遇按政策公式计发，不应另填金额", "the policy computes this benefit; an entered amount is not accepted";
    AmountOutOfRange = "amount_out_of_range", 422, "Amount out of range", "金额超出范围", "amount out of range";
    AmountExceedsBalance = "amount_exceeds_balance", 422, "Amount over the balance owed", "金额超过尚欠余额", "the amount exceeds the balance owed";
    ApprovalRequired = "approval_required", 422, "Write-off without approver", "核销须写明批准人", "a write-off needs the approver";
    EntryKindReserved = "entry_kind_reserved", 422, "Entry kind booked by the service only", "该类分录仅由系统在撤销死亡核实时记账", "this kind of entry is booked by the service when a death is reversed";
    MoneyFormat = "money_format", 422, "Amount not a decimal of yuan", "金额应为以元为单位的十进制数，如\"3500.00\"", "the amount must be a decimal number of yuan such as \"3500.00\"";
    MoneyPrecision = "money_precision", 422, "Amount over two decimals", "金额最多保留两位小数", "the amount has at most two decimals";
    MoneyNegative = "money_negative", 422, "Amount negative", "金额不能为负数", "the amount cannot be negative";
    MoneyTooLarge = "money_too_large", 422, "Amount too large", "金额过大", "the amount is too large";
    PolicyOverlap = "policy_overlap", 422, "Policy versions overlap", "与已有版本的有效期重叠", "overlaps the validity of an existing version";
    PolicyNotAfterLatest = "policy_not_after_latest", 422, "Policy version not after the latest", "新版本应晚于该区划最新版本的生效日期", "a new version must start after the latest one";
    PresetOrParameters = "preset_or_parameters", 422, "Neither or both of preset and parameters", "应给出 preset 或 parameters 之一", "give exactly one of preset and parameters";
    UnknownPreset = "unknown_preset", 422, "Unknown policy preset", "未知的预设", "unknown preset";
    BeyondPresetTerm = "beyond_preset_term", 422, "Version beyond the preset's term", "该预设所依据文件的有效期已届满，延期使用须设 extend_beyond_term 并在 note 中写明延期依据", "the preset's document lapses before this date: set extend_beyond_term and name the document that extends it in note";
    ExtensionNeedsNote = "extension_needs_note", 422, "Extension without its document", "延期使用预设须在 note 中写明延期依据的文件", "an extension beyond the preset's term needs the document that extends it in note";
    ExtensionPresetOnly = "extension_preset_only", 422, "Extension without a preset", "extend_beyond_term 仅适用于预设", "extend_beyond_term applies to presets only";
    WorkdayNotWeekend = "workday_not_weekend", 422, "Make-up working day not a weekend", "调休上班日（workday）应为周末", "a make-up working day (workday) must be a Saturday or Sunday";
    OneOfWorkingDaysOrDays = "one_of_working_days_or_days", 422, "Neither or both of working_days and days", "请给出 working_days（工作日）或 days（日）中的一个", "give one of working_days and days";
    EncodingCsvOnly = "encoding_csv_only", 422, "encoding for CSV only", "encoding 仅适用于 CSV 导出", "encoding applies to CSV exports only";
    ItemCount = "item_count", 422, "Batch size out of bounds", "items 应为1至1000项", "items must hold 1 to 1,000 entries";
    DuplicateInBatch = "duplicate_in_batch", 422, "Resident ID twice in the batch", "同一批次中公民身份号码重复", "the resident ID appears twice in the batch";
    DuplicateInFile = "duplicate_in_file", 422, "Row repeated in the file", "该行在文件中重复", "the row appears twice in the file";
    BatchIdReused = "batch_id_reused", 422, "Feed batch id used already", "该批次号已使用", "the batch id was used already";
    InvalidFile = "invalid_file", 422, "File rejected as a whole", "文件未通过校验", "the file was rejected";
    EmptyFile = "empty_file", 422, "File empty", "文件为空", "the file is empty";
    CsvHeader = "csv_header", 422, "CSV header wrong", "CSV 表头不符合要求", "the CSV header is wrong";
    MissingHeader = "missing_header", 422, "Header row missing", "缺少表头", "the header row is missing";
    MissingColumn = "missing_column", 422, "Column missing", "缺少必需的列", "a required column is missing";
    UnknownColumn = "unknown_column", 422, "Unknown column", "未知的列", "unknown column";
    DuplicateColumn = "duplicate_column", 422, "Column twice", "列重复", "the column appears twice";
    ColumnCount = "column_count", 422, "Row with the wrong number of cells", "该行的列数与表头不符", "the row's cell count does not match the header";
    CannotClear = "cannot_clear", 422, "Clear marker in a column that cannot be empty", "该列不能清空", "this column cannot be cleared";
    MalformedRow = "malformed_row", 422, "Row cannot be parsed", "该行无法解析", "the row cannot be parsed";
    TooManyRows = "too_many_rows", 413, "Register file too long", "登记表行数超过上限", "the register file has more rows than the limit";
    CellError = "cell_error", 422, "Cell holds a spreadsheet error", "单元格含有错误值", "the cell holds a spreadsheet error";
    PetitionAnswerRequired = "petition_answer_required", 422, "Closing without an answer", "尚未答复，不能办结；请先登记答复意见", "the case has no answer yet; record the answer before closing";
    PetitionTopLevel = "petition_top_level", 422, "Escalation from the top level", "市级为最高一级，不能再向上报告", "the city is the top level; the case cannot be escalated further";
    DueDateInPast = "due_date_in_past", 422, "Due date in the past", "办理期限不能早于今天", "the due date cannot be in the past";
    ReceivedOnRequired = "received_on_required", 422, "Letter without its received date", "来信须填写收信日期", "a letter needs the date it was received";
    PeopleCount = "people_count", 422, "People count below the persons named", "人数不能少于登记的人员数", "people_count cannot be below the number of persons named";
    NotAHandlingNode = "not_a_handling_node", 422, "Node cannot hold cases", "该区划不能受理信访件（应为市、区、街道或社区）", "a case is held by a city, district, street or community node";
    AssigneeNotFound = "assignee_not_found", 422, "Assignee absent, inactive or not at the node", "承办人不存在、已停用或不在本件所在机构", "no such active account at the node holding the case";
    // Elderly care services (issue 26; GUIDE 第二部分六).
    BookingInPast = "booking_in_past", 422, "Booking starts in the past", "预约时间不能早于当前时间", "a booking cannot start in the past";
    SlotOrder = "slot_order", 422, "Slot ends before it starts", "结束时间应晚于开始时间", "the slot must end after it starts";
    CaregiverGradeTooLow = "caregiver_grade_too_low", 422, "Caregiver below the grade the item requires", "护理员等级低于该项目要求", "the caregiver's grade is below the one the item requires";
    LicenceExpired = "licence_expired", 422, "Institution licence expired", "机构资质已过期", "the institution's licence has expired";
    CareItemNotServed = "care_item_not_served", 422, "Caregiver does not give the item", "该护理员不提供该服务项目", "the caregiver does not give this item";
    CareItemNotOffered = "care_item_not_offered", 422, "Institution does not offer the item", "该机构不提供该服务项目", "the institution does not offer this item";
    CareBearerNotAllowed = "care_bearer_not_allowed", 422, "Item not receivable at this bearer's cost", "按现行政策该项目不能由该方承担费用", "under the policy in force this item cannot be paid by this bearer";
    ScoreOutOfRange = "score_out_of_range", 422, "Score outside the policy's scale", "评分超出范围", "the score is outside the scale";
    BedsOverCapacity = "beds_over_capacity", 422, "More beds occupied than the institution has", "入住床位数不能超过床位总数", "occupied beds cannot exceed the beds";
    InstitutionNotFound = "institution_not_found", 422, "Institution absent or outside the subtree", "养老机构不存在或不在您的管辖范围内", "no such institution in your jurisdiction";
    CaregiverNotFound = "caregiver_not_found", 422, "Caregiver absent or outside the subtree", "护理员不存在或不在您的管辖范围内", "no such caregiver in your jurisdiction";
    // 428, 429, 500, 503.
    IfMatchRequired = "if_match_required", 428, "Write without If-Match", "修改已有资源须携带 If-Match 请求头（取自 ETag）", "send If-Match with the ETag you read";
    LoginThrottled = "login_throttled", 429, "Too many failed logins", "登录失败次数过多，请稍后再试", "too many failed logins; retry later";
    InternalError = "internal_error", 500, "Internal error", "服务器内部错误", "internal server error";
    ServiceUnavailable = "service_unavailable", 503, "Database busy", "服务暂时繁忙，请稍后重试", "the service is busy; retry shortly";
    // Personnel archives (issue 23).
    ArchiveUnprepared = "archive_unprepared", 422, "Archive not prepared for the handover (CS Art. 12(2))", "档案移交前须完成整理、编目、装订成册和数字化", "the archive must be sorted, catalogued, bound and digitised before the handover";
    ArchiveNoVolumes = "archive_no_volumes", 422, "Volumes or pieces not above 0", "档案卷数和件数应大于0", "volumes and pieces must be above 0";
    ArchiveWrongStatus = "archive_wrong_status", 409, "Action does not fit the archive's status", "档案当前状态不能办理此操作", "the archive's status does not allow this action";
    LoanWrongStatus = "loan_wrong_status", 409, "Action does not fit the loan's status", "借阅当前状态不能办理此操作", "the loan's status does not allow this action";
    SupplementWrongStatus = "supplement_wrong_status", 409, "Action does not fit the supplement's status (JN Art. 27)", "补充材料当前状态不能办理此操作", "the supplement's status does not allow this action";
    DispatchReceived = "dispatch_received", 409, "Dispatch confirmed already", "该档案转递已确认接收", "the dispatch was confirmed received already";
    ArchivePersonAlive = "archive_person_alive", 409, "Disposal of a living person's archive", "该人员未死亡，档案不能处置", "the person has not died; the archive cannot be disposed of";
    RepositoryFull = "repository_full", 409, "Repository over capacity (JN Art. 20)", "库房容量不足", "the repository is full";
    ArchiveExists = "archive_exists", 409, "Person has an archive on record", "该人员已有档案记录", "the person has an archive on record already";
    RepositoryNotFound = "repository_not_found", 422, "Repository absent or outside the subtree", "库房不存在或不在您的管辖范围内", "no such repository in your subtree";
    LocationOutOfJurisdiction = "location_out_of_jurisdiction", 422, "Repository of another jurisdiction", "库房不属于该档案所在辖区", "the repository belongs to another jurisdiction";
    // Monthly reports, month close (issue 27).
    MonthNotOver = "month_not_over", 409, "Month not over yet", "该月尚未结束，不能结账", "the month is not over; it cannot be closed yet";
    ChildrenNotClosed = "children_not_closed", 409, "Lower levels have not closed the month", "下级尚未结账，上级不能结账", "every child must close the month before its parent";
    MonthClosed = "month_closed", 409, "Month closed already", "该月已结账", "the month is closed already";
    MonthNotClosed = "month_not_closed", 409, "Month not closed", "该月未结账", "the month is not closed";
    ParentMonthClosed = "parent_month_closed", 409, "The level above has closed the month", "上级已结账，须先重新打开上级", "the parent has closed the month; reopen the parent first";
    // Personnel archives: transfer (issue 23).
    TransferArchivePending = "transfer_archive_pending", 409, "Transfer before the archive is received (JN Art. 21(3)-(4))", "人事档案尚未转递接收，也未登记免于移交的情形", "the archive has not been received and no exemption is recorded";
    // Community services (issue 25).
    AgreementOrder = "agreement_order", 422, "Agreement ends before it starts", "协议终止日期不能早于生效日期", "the agreement must end on or after the day it starts";
    HealthAgreementInactive = "health_agreement_inactive", 422, "No cooperation agreement in force (GUIDE 第五部分第四章四)", "该卫生服务机构没有有效的合作协议", "the institution has no cooperation agreement in force";
    HealthRecordExists = "health_record_exists", 409, "Person has a health record already", "该人员已有健康档案", "the person has a health record already";
    ActivityFull = "activity_full", 409, "Every place of the activity is taken", "该活动名额已满", "every place of the activity is taken";
    ActivityOutsidePlan = "activity_outside_plan", 422, "Activity outside its plan's year (CS Art. 20)", "活动日期应在活动计划年度内", "the activity must be held in its plan's year";
    ActivityNotHeld = "activity_not_held", 422, "Attendance before the activity is held", "活动举行前不能登记参加情况", "attendance is recorded from the day the activity is held";
    PoolLevel = "pool_level", 422, "Volunteer pool not at city or district level (CS Art. 22)", "志愿者资源库设在市、区两级", "volunteer pools are kept at city and district level";
    HoursOutOfRange = "hours_out_of_range", 422, "Hours not above 0 or above a day", "服务时长应大于0、不超过24小时，最多一位小数", "hours are above 0, at most 24, with at most one decimal";
    VolunteerNotFound = "volunteer_not_found", 422, "Volunteer absent or outside the subtree", "志愿者不存在或不在您的管辖范围内", "no such volunteer in your jurisdiction";
    PlanNotFound = "plan_not_found", 422, "Activity plan absent or outside the subtree", "活动计划不存在或不在您的管辖范围内", "no such activity plan in your subtree";
    // Funding at every level, allocations, bookings, year close (issue 27).
    AllocationExceedsBalance = "allocation_exceeds_balance", 409, "Allocation beyond the parent's balance (XM Art. 22)", "分配金额超过上级经费结余", "the parent cannot allocate more than it has left";
    PaymentOverBudget = "payment_over_budget", 409, "Payment beyond the fund's balance", "该笔支付超出经费结余，未登记", "the payment would exceed the fund's balance; nothing was recorded";
    NotAChild = "not_a_child", 422, "Allocation to a node that is not a direct child", "只能分配给直属下级", "allocations go to a direct child of the allocating node";
    AmountNotAllowed = "amount_not_allowed", 422, "The service fund is computed, not entered", "服务经费按人数和标准计算，不能填写金额", "the service fund is computed from the headcount and the standard; send no amount";
    YearNotOver = "year_not_over", 409, "Year not over yet", "该年度尚未结束，不能结算", "the year is not over; it cannot be closed yet";
    ChildrenYearOpen = "children_year_open", 409, "Lower levels have not closed the year", "下级尚未结算该年度，上级不能结算", "every child must close the year before its parent";
    YearNotClosed = "year_not_closed", 409, "Year not closed", "该年度未结算", "the year is not closed";
    ParentYearClosed = "parent_year_closed", 409, "The level above has closed the year", "上级已结算该年度，须先重新打开上级", "the parent has closed the year; reopen the parent first";
    CondolenceCancelled = "condolence_cancelled", 409, "Condolence cancelled already", "该慰问已撤销", "the condolence is cancelled already";
    // Personnel archives: digitisation batches (issue 23).
    BatchWrongStatus = "batch_wrong_status", 409, "Action does not fit the digitisation batch's status", "数字化批次当前状态不能办理此操作", "the batch's status does not allow this action";
    ArchiveDigitised = "archive_digitised", 409, "Archive digitised already", "该档案已完成数字化", "the archive is digitised already";
    ArchiveInBatch = "archive_in_batch", 409, "Archive in another open digitisation batch", "该档案已在另一个进行中的数字化批次中", "the archive is in another open batch";
    ArchiveNotFound = "archive_not_found", 422, "Archive absent or outside the subtree", "档案不存在或不在您的管辖范围内", "no such archive in your subtree";
    NotInBatch = "not_in_batch", 422, "Archive not in the batch", "该档案不在本批次中", "the archive is not in this batch";
    // Community services (issue 25): high-age allowance (JN Art. 7(7)).
    AllowancePolicyUnset = "allowance_policy_unset", 409, "High-age allowance bands not set by a local rule (JN Art. 7(7))", "本地尚未规定高龄补贴的年龄段和标准", "no local rule sets the high-age allowance's bands";
    AllowanceNotEligible = "allowance_not_eligible", 422, "Below the high-age allowance's first age", "未达到高龄补贴年龄", "the person has not reached the allowance's age";
    AllowanceWrongStatus = "allowance_wrong_status", 409, "Application decided already", "该高龄补贴申请已审批", "the application is decided already";
    AllowanceApplicationExists = "allowance_application_exists", 409, "Application pending or approved exists", "该人员已有待审批或已批准的高龄补贴申请", "the person has a pending or approved application";
    // Community services (issue 25 part 4): assistance referral (JN Art. 7(8)).
    ReferralWrongStatus = "referral_wrong_status", 409, "Answer does not fit the referral's status", "该转介当前状态不能登记此结果", "the referral's status does not allow this answer";
    ReferralOpen = "referral_open", 409, "Person has an open referral of this kind", "该人员已有同类未办结的救助转介", "the person has an open referral of this kind";
    VisitNotFound = "visit_not_found", 422, "Visit absent, of another person or outside the subtree", "走访记录不存在、不属于该人员或不在您的管辖范围内", "no such visit of this person in your subtree";
    // Community services (issue 25): tracked errands (JN Art. 7(5), 24; GUIDE 走访制度) and volunteer links (CS Art. 22).
    ErrandWrongStatus = "errand_wrong_status", 409, "Step does not fit the errand's status", "该代办事项当前状态不能办理此步骤", "the errand's status does not allow this step";
    ErrandOpen = "errand_open", 409, "Person has a pending errand of this kind", "该人员已有同类未办结的代办事项", "the person has a pending errand of this kind";
    BeforeOpened = "before_opened", 422, "Date before the errand was opened", "日期不能早于代办事项的受理日期", "the date is before the errand was opened";
    ErrandBelowAge = "errand_below_age", 422, "Below the senior card's age (GUIDE 走访制度)", "未达到代办老年优待证的年龄", "the person has not reached the senior card's age";
    DateMismatch = "date_mismatch", 422, "Service date differs from the visit's or activity's date", "服务日期与走访或活动日期不一致", "the service date must equal the date of the visit or activity";
    // Community services (issue 25): party members' organisation relations (CS Art. 12(3), 24; JN Art. 22, 29).
    PartyBranchLevel = "party_branch_level", 422, "A party branch belongs to a street or a community", "党支部应设在街道（乡镇）或社区（村）", "a branch belongs to a street or a community";
    PartyBranchNotFound = "party_branch_not_found", 422, "Party branch absent, closed or outside the subtree", "党支部不存在、已撤销或不在您的管辖范围内", "no such open branch in your subtree";
    PartyRelationOpen = "party_relation_open", 409, "The person has an organisation relation in the service", "该党员已有组织关系在本系统党支部", "the person's relation is in a branch of the service already";
    PartyRelationWrongStatus = "party_relation_wrong_status", 409, "Step does not fit the relation's status", "组织关系当前状态不能办理此操作", "the relation's status does not allow this step";
    PartySameBranch = "party_same_branch", 422, "Transfer to the branch the relation sits in", "不能转入所在的同一党支部", "the relation sits in this branch already";
    PartyDateOrder = "party_date_order", 422, "Date before the relation's last step", "日期不能早于上一步的日期", "the date is before the relation's last step";
    PartyPolicyUnset = "party_policy_unset", 409, "Days to establish a party relation not set by a local rule (GUIDE 交接制度)", "本地尚未规定党员组织关系转接的期限", "no local rule sets the days to establish a party relation";
    PartyBranchNotEmpty = "party_branch_not_empty", 409, "Party branch still holds relations", "该党支部尚有党员组织关系在册或转接中，须先转出或撤回", "relations sit in the branch or are on their way to it";
    PartyBranchClosed = "party_branch_closed", 409, "Party branch closed already", "该党支部已撤销", "the branch is closed already";
    NotInBranch = "not_in_branch", 422, "Person's relation is not in this branch", "该人员的组织关系不在本支部", "the person's relation is not in this branch";
    // Reports, ledgers and funds: what issue 27 still lacked (reports27).
    AwardCancelled = "award_cancelled", 409, "Award cancelled already", "该奖励已撤销", "the award is cancelled already";
    NotAnAward = "not_an_award", 404, "No excellent-leader award with this id", "没有该优秀小组长奖励", "no excellent-leader award with this id";
    EndpointRetired = "endpoint_retired", 410, "Endpoint retired: use its successor (Link header)", "该接口已停用，请改用年度经费结算（见 Link 头）", "this endpoint is retired; use the year close named in the Link header";
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RuleViolation;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_snake_case_and_round_trip() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(s.starts_with(|c: char| c.is_ascii_lowercase()), "{s}");
            assert!(s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'), "{s}");
            assert!(!s.ends_with('_') && !s.contains("__"), "{s}");
            assert_eq!(ErrorCode::parse(s), Some(*code));
            assert!(!code.title().is_empty() && !code.message_zh().is_empty() && !code.message_en().is_empty());
        }
        assert_eq!(ErrorCode::parse("no_such_code"), None);
        assert_eq!(ErrorCode::VersionMismatch.to_string(), "version_mismatch");
        assert_eq!(ErrorCode::VersionMismatch.status(), 412);
    }

    #[test]
    fn every_status_has_a_title() {
        for code in ErrorCode::ALL {
            assert!(STATUS_TITLES.iter().any(|(s, _)| *s == code.status()), "{code}: {}", code.status());
        }
        assert_eq!(status_title_zh(409), "与现有数据冲突");
        assert_eq!(status_title_zh(599), "服务器内部错误");
    }

    /// The codes of the domain's rule violations are catalogued, with the status they are answered with.
    #[test]
    fn rule_violations_are_catalogued() {
        use crate::{
            IdNumberError, JurisdictionCodeError, MoneyError, archive, calendar::CalendarEntryError, death, handover,
            overpayment, pension, petition, support, transfer,
        };
        let date = time::macros::date!(2026 - 11 - 03);
        let conflicts: Vec<Box<dyn RuleViolation>> = vec![
            Box::new(crate::high_age::AllowanceError::PolicyUnset),
            Box::new(crate::assistance::AssistanceError::WrongStatus(
                crate::assistance::ReferralStatus::Granted,
                crate::assistance::ReferralAction::Accept,
            )),
            Box::new(crate::high_age::AllowanceError::WrongStatus(crate::high_age::ApplicationStatus::Approved)),
            Box::new(pension::TransitionError::NotSuspended),
            Box::new(pension::TransitionError::Stopped),
            Box::new(pension::TransitionError::TransferredOut),
            Box::new(death::DeathError::NotPending),
            Box::new(death::DeathError::NotVerified),
            Box::new(death::DeathError::BenefitsAssessed),
            Box::new(support::SupportError::OutOfOrder),
            Box::new(support::SupportError::Closed),
            Box::new(support::SupportError::NotApproved),
            Box::new(support::SupportError::NotUnderReview),
            Box::new(handover::HandoverError::NotAPartyMember),
            Box::new(handover::HandoverError::ItemReturned),
            Box::new(handover::HandoverError::ItemSettled),
            Box::new(handover::HandoverError::StepMissing(handover::HandoverStep::AgreementSigned)),
            Box::new(transfer::TransferError::CannotBeRefused),
            Box::new(transfer::TransferError::WrongStatus),
            Box::new(transfer::TransferError::Incomplete),
            Box::new(transfer::OpenError::NotOnRoll),
            Box::new(overpayment::LedgerError::DeadlineNotPassed),
            Box::new(overpayment::LedgerError::Settled),
            Box::new(overpayment::LedgerError::Closed),
            Box::new(petition::PetitionError::WrongStatus(petition::PetitionStatus::Closed)),
            Box::new(petition::PetitionError::ReopenWindowPassed(date)),
            Box::new(archive::ArchiveError::ArchiveStatus(archive::ArchiveStatus::InTransit)),
            Box::new(archive::ArchiveError::LoanStatus(archive::LoanStatus::Returned)),
            Box::new(archive::ArchiveError::SupplementStatus(archive::SupplementStatus::Filed)),
            Box::new(archive::ArchiveError::DispatchReceived),
            Box::new(archive::ArchiveError::NotDeceased),
            Box::new(archive::ArchiveError::OverCapacity { capacity: 1, occupancy: 2 }),
            Box::new(crate::elder_care::CareError::WrongStatus(crate::elder_care::CareStatus::Booked)),
            Box::new(crate::elder_care::CareError::BookingConflict),
            // Monthly reports, month close (issue 27).
            Box::new(crate::report::CloseError::NotOver),
            Box::new(crate::report::CloseError::AlreadyClosed),
            Box::new(crate::report::CloseError::ChildrenOpen(vec!["350203001001".into()])),
            Box::new(archive::ArchiveError::ArchivePending),
            // Community services (issue 25).
            Box::new(crate::activity::ActivityError::Full { capacity: 2 }),
            // Personnel archives: digitisation batches (issue 23).
            Box::new(crate::archive_batch::BatchError::WrongStatus(crate::archive_batch::BatchStatus::Open)),
            Box::new(crate::archive_batch::BatchError::ArchiveNotInStore(archive::ArchiveStatus::OnLoan)),
            Box::new(crate::archive_batch::BatchError::AlreadyDigitised),
            Box::new(crate::archive_batch::BatchError::InOtherBatch),
            // Community services (issue 25): tracked errands.
            Box::new(crate::errand::ErrandError::WrongStatus(
                crate::errand::ErrandStatus::Approved,
                crate::errand::ErrandAction::Submit,
            )),
        ];
        let fields: Vec<Box<dyn RuleViolation>> = vec![
            Box::new(IdNumberError::Length(17)),
            Box::new(IdNumberError::Format),
            Box::new(IdNumberError::Checksum { expected: 'X', found: '1' }),
            Box::new(MoneyError::NotDecimal),
            Box::new(MoneyError::TooPrecise),
            Box::new(MoneyError::Negative),
            Box::new(MoneyError::TooLarge),
            Box::new(JurisdictionCodeError::Format),
            Box::new(CalendarEntryError::WorkdayNotWeekend(date, time::Weekday::Tuesday)),
            Box::new(CalendarEntryError::YearOutOfRange(1900)),
            Box::new(death::BenefitError::AmountRequired),
            Box::new(death::BenefitError::PensionUnknown),
            Box::new(death::BenefitError::AmountNotAllowed),
            Box::new(death::BenefitError::OutOfRange),
            Box::new(support::SupportError::EndsBeforeSupport),
            Box::new(transfer::OpenError::SameCommunity),
            Box::new(overpayment::LedgerError::ExceedsBalance),
            Box::new(overpayment::LedgerError::ApprovalRequired),
            Box::new(overpayment::LedgerError::ReservedKind),
            Box::new(petition::PetitionError::NoAnswer),
            Box::new(petition::PetitionError::TopLevel),
            Box::new(archive::ArchiveError::Unprepared(vec![archive::PreparationItem::Bound])),
            Box::new(archive::ArchiveError::NoVolumes),
            Box::new(crate::elder_care::CareError::SlotInPast),
            Box::new(crate::elder_care::CareError::SlotOrder),
            Box::new(crate::elder_care::CareError::GradeTooLow {
                required: crate::elder_care::CaregiverGrade::Senior,
                actual: crate::elder_care::CaregiverGrade::Junior,
            }),
            Box::new(crate::elder_care::CareError::LicenceExpired(date)),
            Box::new(crate::elder_care::CareError::ItemNotServed(crate::elder_care::CareItem::Bathing)),
            Box::new(crate::elder_care::CareError::ItemNotOffered(crate::elder_care::CareItem::Bathing)),
            Box::new(crate::elder_care::CareError::BearerNotAllowed(
                crate::elder_care::CareItem::Bathing,
                crate::elder_care::CostBearer::GovernmentSubsidy,
            )),
            Box::new(crate::elder_care::CareError::ScoreOutOfRange(5)),
            Box::new(crate::elder_care::CareError::BedsOverCapacity),
            // Community services (issue 25).
            Box::new(crate::health::HealthError::AgreementOrder),
            Box::new(crate::health::HealthError::AgreementInactive(date)),
            Box::new(crate::activity::ActivityError::OutsidePlan { year: 2026 }),
            Box::new(crate::activity::ActivityError::NotHeldYet(date)),
            Box::new(crate::volunteer::VolunteerError::PoolLevel(crate::Level::Street)),
            Box::new(crate::volunteer::VolunteerError::Hours),
            // Community services (issue 25): high-age allowance.
            Box::new(crate::high_age::AllowanceError::NotEligible { from_age: 80 }),
            // Community services (issue 25): tracked errands.
            Box::new(crate::errand::ErrandError::BeforeOpened),
            Box::new(crate::errand::ErrandError::BelowAge { age: 70 }),
        ];
        for (violations, status) in [(conflicts, 409), (fields, 422)] {
            for v in violations {
                let code = ErrorCode::parse(v.code());
                assert_eq!(code.map(ErrorCode::status), Some(status), "{}", v.code());
            }
        }
    }
}
