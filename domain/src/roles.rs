//! Roles and what each may do (api-guidelines "Access"; XM Art. 8-12 for the service bodies). The table in
//! `docs/roles.md` is generated from [`markdown_table`] and a test keeps the two equal.

crate::code_enum! {
    /// The role of a user or service account. Each account has exactly one, bound to one jurisdiction node.
    Role {
        /// System administrator: accounts and the jurisdiction tree, no personal data.
        Admin = "admin": "系统管理员",
        /// City retiree service centre (XM Art. 8).
        CityCentre = "city_centre": "市退休人员服务中心",
        /// District centre (XM Art. 9).
        DistrictCentre = "district_centre": "区退休人员服务中心",
        /// Street service centre (XM Art. 10).
        Street = "street": "街道（乡镇）服务中心",
        /// Community station (XM Art. 11).
        Community = "community": "社区服务站",
        /// Self-management group leader (XM Art. 12).
        GroupLeader = "group_leader": "自管小组组长",
        /// Personnel archive keeper (XM Art. 16).
        Archivist = "archivist": "档案管理员",
        /// Finance (XM Art. 21, 26).
        Finance = "finance": "财务",
        /// Auditor: reads everything, writes nothing, sees the audit log.
        Auditor = "auditor": "审计",
        /// Municipal data platform: feeds in, change events out (CS Art. 27, 30).
        Integration = "integration": "数据平台对接",
        /// Imports files.
        Importer = "importer": "数据导入",
    }
}

crate::code_enum! {
    /// An action guarded by role. Scope (the caller's subtree) is checked separately on every object.
    Permission {
        JurisdictionRead = "jurisdiction.read": "查看区划",
        JurisdictionWrite = "jurisdiction.write": "维护区划（新增、改名、调整隶属）",
        JurisdictionImport = "jurisdiction.import": "导入区划代码",
        CalendarWrite = "calendar.write": "维护工作日历（导入节假日安排）",
        RetireeRead = "retiree.read": "查看退休人员",
        RetireeWrite = "retiree.write": "登记、修改退休人员及供养亲属",
        AccountManage = "account.manage": "管理用户和服务账号",
        AuditRead = "audit.read": "查看审计日志",
        PolicyWrite = "policy.write": "制定政策参数版本",
        RetireeImport = "retiree.import": "批量导入退休人员及供养亲属",
        RetireeExport = "retiree.export": "导出退休人员名册",
        PensionManage = "pension.manage": "暂停、恢复养老金发放",
        CertificationRecord = "certification.record": "登记资格认证、标记上门认证需求",
        CertificationRun = "certification.run": "执行资格认证逾期批处理",
        FeedSubmit = "feed.submit": "报送信息比对数据（就医、医保、出行、死亡、服刑）",
        EventRead = "event.read": "读取变更事件流",
        WebhookManage = "webhook.manage": "管理事件推送订阅（Webhook）",
        FundManage = "fund.manage": "编制经费预算、登记经费支出、评选奖励优秀小组长、结算经费",
        PetitionRegister = "petition.register": "登记来访、来电、来信（接待、信访）",
        PetitionHandle = "petition.handle": "办理信访件（承办、答复、办结、重新办理、逐级上报）",
        PetitionSupervise = "petition.supervise": "督办信访件（查看辖区全部信访件及统计）",
        // Personnel archives (issue 23).
        ArchiveManage = "archive.manage": "管理人事档案（接收、存放、审批借阅、借出归还、补充材料归档、转递、数字化、处置）",
        ArchiveReadMaterials = "archive.read_materials": "查看人事档案材料目录及借阅、补充材料记录",
        // Elderly care services (issue 26; GUIDE 第二部分六).
        CareServiceManage = "care_service.manage": "管理养老护理服务（机构、护理员、服务申请、预约、监督、评价、入住机构）",
        CareServiceRead = "care_service.read": "查看养老护理服务（机构、护理员、服务申请及月度汇总）",
        // Monthly reports, month close (issue 27).
        ReportClose = "report.close": "月报结账（社区、街道、区、市逐级）",
        ReportReopen = "report.reopen": "重新打开已结账月份（须写明理由）",
        // Personnel archives: use (issue 23; JN Art. 7(12)).
        ArchiveUse = "archive.use": "申请查阅、借阅人事档案（利用），报送补充材料",
        // Community services (issue 25): health records are sensitive personal information (PIPL Art. 28).
        HealthRead = "health.read": "查看健康档案（体检、慢性病、残疾等级；敏感个人信息）",
        HealthWrite = "health.write": "建立、更新健康档案，登记社区卫生服务机构及合作协议",
        ActivityManage = "activity.manage": "组织文体健康活动（活动计划、活动、报名、参加登记）",
        VolunteerManage = "volunteer.manage": "管理志愿者资源库（登记、导入志愿者，登记服务时长）",
        // Community services (issue 25, part 4): high-age allowance, assistance referral, errands, party members.
        AllowanceManage = "allowance.manage": "办理高龄补贴（受理申请、审批、月度发放名单）",
        AssistanceManage = "assistance.manage": "办理低保、特困救助转介（转介民政部门、登记受理及救助结果）",
        // Community services (issue 25): tracked errands.
        ErrandManage = "errand.manage": "办理代办事项（老年优待证、门诊慢特病及特药资格认定、医保关系接续）",
        // Community services (issue 25): party members' organisation relations.
        PartyManage = "party.manage": "管理退休党员组织关系（党支部、组织关系转接、组织生活、导入导出党员名册）",
    }
}

impl Role {
    /// Whether this role may perform `permission` (inside its own subtree).
    pub fn allows(self, permission: Permission) -> bool {
        use Permission as P;
        use Role as R;
        match permission {
            P::JurisdictionRead => true,
            P::JurisdictionWrite => matches!(self, R::Admin | R::CityCentre | R::DistrictCentre),
            P::JurisdictionImport => matches!(self, R::Admin | R::CityCentre | R::Importer),
            // The holiday arrangements hold for the whole country: city-level roles maintain them (issue 3).
            P::CalendarWrite => matches!(self, R::Admin | R::CityCentre),
            P::RetireeRead => !matches!(self, R::Admin | R::Importer),
            P::RetireeWrite => {
                matches!(self, R::CityCentre | R::DistrictCentre | R::Street | R::Community | R::Integration)
            }
            P::AccountManage => matches!(self, R::Admin),
            P::AuditRead => matches!(self, R::Auditor),
            // Policy administration is for the city centre (issue 3; XM Art. 8, 25: the city sets standards).
            P::PolicyWrite => matches!(self, R::CityCentre),
            // Bulk loads: the importer role, the data platform and the centres that register people (issue 4).
            P::RetireeImport => {
                matches!(self, R::CityCentre | R::DistrictCentre | R::Street | R::Integration | R::Importer)
            }
            // Rosters leave the system: the service bodies and the data platform, masked as in lists (issue 4).
            P::RetireeExport => {
                matches!(self, R::CityCentre | R::DistrictCentre | R::Street | R::Community | R::Integration)
            }
            // Suspending and resuming a pension is the agency's decision (CS Art. 32): the city and district centres.
            P::PensionManage => matches!(self, R::CityCentre | R::DistrictCentre),
            // Certification is done by the service bodies, group leaders (XM Art. 15(2)) and, for face
            // recognition results, the data platform (XM Art. 15(1)).
            P::CertificationRecord => matches!(
                self,
                R::CityCentre | R::DistrictCentre | R::Street | R::Community | R::GroupLeader | R::Integration
            ),
            // The yearly sweep suspends pensions in bulk: the centres that may suspend (CS Art. 32(1)).
            P::CertificationRun => matches!(self, R::CityCentre | R::DistrictCentre),
            // Shared government data comes from the data platform (CS Art. 27, 30); the city centre may load a file
            // it received.
            P::FeedSubmit => matches!(self, R::CityCentre | R::Integration),
            // The change feed is for the data platform (CS Art. 27, 30; JN Art. 33), the centres that answer for
            // their subtree and the auditor; personal fields are masked per role as in lists.
            P::EventRead => matches!(self, R::CityCentre | R::DistrictCentre | R::Integration | R::Auditor),
            // Pushing the feed to another system is an integration's job (issue 11).
            P::WebhookManage => matches!(self, R::Integration),
            // The service fund is budgeted and spent by the centres and finance (XM Art. 21, 24, 26; CS Art. 10-11).
            P::FundManage => matches!(self, R::CityCentre | R::DistrictCentre | R::Finance),
            // Every service body receives visits, calls and letters (GUIDE 接待制度; XM Art. 8-11; CS Art. 21).
            P::PetitionRegister | P::PetitionHandle => {
                matches!(self, R::CityCentre | R::DistrictCentre | R::Street | R::Community)
            }
            // The centres that answer for escalated cases supervise them; the auditor reads.
            P::PetitionSupervise => matches!(self, R::CityCentre | R::DistrictCentre | R::Auditor),
            // Personnel archives (issue 23; XM Art. 16; JN Art. 12): the archive keeper does the archive work; the
            // auditor reads the materials list too.
            P::ArchiveManage => matches!(self, R::Archivist),
            P::ArchiveReadMaterials => matches!(self, R::Archivist | R::Auditor),
            // Elderly care (issue 26; GUIDE 第二部分六): the service bodies keep the institutions and caregivers and
            // run the ten steps; the auditor reads.
            P::CareServiceManage => matches!(self, R::CityCentre | R::DistrictCentre | R::Street | R::Community),
            P::CareServiceRead => {
                matches!(self, R::CityCentre | R::DistrictCentre | R::Street | R::Community | R::Auditor)
            }
            // Monthly reports (issue 27; GUIDE 交接制度 按月计报): each service body closes its own month; an
            // administrator reopens one, with a reason.
            P::ReportClose => matches!(self, R::CityCentre | R::DistrictCentre | R::Street | R::Community),
            P::ReportReopen => matches!(self, R::Admin),
            // Personnel archives, use (issue 23; JN Art. 7(12) "档案利用"): the service bodies ask to consult or
            // borrow the archive of a person they serve and submit new materials (JN Art. 27); the archivist does both
            // on a visitor's behalf and decides.
            P::ArchiveUse => {
                matches!(self, R::CityCentre | R::DistrictCentre | R::Street | R::Community | R::Archivist)
            }
            // Health records (issue 25; GUIDE 第五部分第四章四; CS Art. 7(3)6; JN Art. 25): sensitive personal
            // information (PIPL Art. 28), read only by the service bodies that keep the records with the community
            // health institutions; the street and the community build and update them, the district centre too.
            // Group leaders, the archivist, finance, the auditor and the data platform see the masked summary only.
            P::HealthRead => matches!(self, R::CityCentre | R::DistrictCentre | R::Street | R::Community),
            P::HealthWrite => matches!(self, R::DistrictCentre | R::Street | R::Community),
            // Activities (issue 25; XM Art. 17: 市、区退服中心和镇（街道）、村（社区）应组织退休人员开展文体健康活动).
            P::ActivityManage => matches!(self, R::CityCentre | R::DistrictCentre | R::Street | R::Community),
            // Volunteers (issue 25; CS Art. 22: city and district pools; the streets and communities where they
            // serve record the hours).
            P::VolunteerManage => matches!(self, R::CityCentre | R::DistrictCentre | R::Street | R::Community),
            // Community services (issue 25, part 4). High-age allowance (JN Art. 7(7) "协助做好高龄补贴发放"): the
            // service bodies take the applications and decide within their subtree.
            P::AllowanceManage => matches!(self, R::CityCentre | R::DistrictCentre | R::Street | R::Community),
            // Assistance referral (JN Art. 7(8); GUIDE 走访制度): the bodies that visit refer and record the answer.
            P::AssistanceManage => matches!(self, R::CityCentre | R::DistrictCentre | R::Street | R::Community),
            // Tracked errands (JN Art. 7(5), 24; GUIDE 走访制度): the service bodies do them for the person.
            P::ErrandManage => matches!(self, R::CityCentre | R::DistrictCentre | R::Street | R::Community),
            // Party members (CS Art. 12(3), 24; JN Art. 7(10), 8(1), 29): the street and community party
            // organisations keep the relations and the organisation life; the district centre works under the
            // district organisation department, which routes relations (CS Art. 12(3)) and guides the work (JN Art.
            // 8(1)). The city centre has no party task in the texts.
            P::PartyManage => matches!(self, R::DistrictCentre | R::Street | R::Community),
        }
    }

    /// How this role sees a sensitive field of a person.
    pub fn visibility(self, field: SensitiveField) -> FieldVisibility {
        use FieldVisibility::{Detail, Full, Masked};
        use SensitiveField as F;
        match (self, field) {
            (Role::Integration, _) => Full,
            (Role::CityCentre | Role::DistrictCentre | Role::Street | Role::Community, _) => Detail,
            (Role::GroupLeader, F::IdNumber) => Masked,
            (Role::GroupLeader, F::Phone | F::Address) => Detail,
            (Role::Archivist | Role::Finance, F::IdNumber) => Detail,
            _ => Masked,
        }
    }
}

/// Personal data shown only to roles that need it (api-guidelines "Access").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SensitiveField {
    /// Resident ID number (also of dependants).
    IdNumber,
    /// Phone number.
    Phone,
    /// Home address.
    Address,
}

impl SensitiveField {
    /// Every field.
    pub const ALL: [SensitiveField; 3] = [SensitiveField::IdNumber, SensitiveField::Phone, SensitiveField::Address];

    /// Name as in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            SensitiveField::IdNumber => "id_number",
            SensitiveField::Phone => "phone",
            SensitiveField::Address => "address",
        }
    }
}

/// Where a role sees a sensitive field in clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldVisibility {
    /// Everywhere, lists included.
    Full,
    /// Only in the audited single-person view (`GET /retirees/{id}`); masked in lists and search results.
    Detail,
    /// Never.
    Masked,
}

impl FieldVisibility {
    /// Whether the value is shown in clear in a list (`false`) or a detail view (`true`).
    pub fn clear_in(self, detail: bool) -> bool {
        match self {
            FieldVisibility::Full => true,
            FieldVisibility::Detail => detail,
            FieldVisibility::Masked => false,
        }
    }

    fn cell(self) -> &'static str {
        match self {
            FieldVisibility::Full => "full",
            FieldVisibility::Detail => "detail",
            FieldVisibility::Masked => "masked",
        }
    }
}

/// The role table as Markdown: permissions, then visibility of sensitive fields. `docs/roles.md` embeds it.
pub fn markdown_table() -> String {
    let mut out = String::from("| permission |");
    for role in Role::ALL {
        out.push_str(&format!(" {} |", role.as_str()));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(Role::ALL.len()));
    out.push('\n');
    for p in Permission::ALL {
        out.push_str(&format!("| `{}` {} |", p.as_str(), p.label_zh()));
        for role in Role::ALL {
            out.push_str(if role.allows(*p) { " yes |" } else { " — |" });
        }
        out.push('\n');
    }
    for f in SensitiveField::ALL {
        out.push_str(&format!("| see `{}` |", f.as_str()));
        for role in Role::ALL {
            let cell = if role.allows(Permission::RetireeRead) { role.visibility(f).cell() } else { "—" };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    // The birth date is digits 7-14 of the resident ID: it is shown exactly where the ID is (issue 21.1).
    out.push_str("| see `birth_date` |");
    for role in Role::ALL {
        let cell =
            if role.allows(Permission::RetireeRead) { role.visibility(SensitiveField::IdNumber).cell() } else { "—" };
        out.push_str(&format!(" {cell} |"));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auditor_reads_but_never_writes() {
        // api-guidelines: auditor is read-only and sees the audit log.
        assert!(Role::Auditor.allows(Permission::RetireeRead));
        assert!(Role::Auditor.allows(Permission::AuditRead));
        assert!(!Role::Auditor.allows(Permission::RetireeWrite));
        assert!(!Role::Auditor.allows(Permission::JurisdictionWrite));
    }

    #[test]
    fn admin_manages_accounts_without_personal_data() {
        assert!(Role::Admin.allows(Permission::AccountManage));
        assert!(!Role::Admin.allows(Permission::RetireeRead));
    }

    #[test]
    fn community_sees_ids_only_in_detail() {
        // CS Art. 29, JN Art. 35: personal data only where the work needs it.
        let v = Role::Community.visibility(SensitiveField::IdNumber);
        assert!(!v.clear_in(false));
        assert!(v.clear_in(true));
        assert!(!Role::Auditor.visibility(SensitiveField::Phone).clear_in(true));
    }

    #[test]
    fn docs_table_matches_code() {
        let doc = include_str!("../../docs/roles.md");
        if std::env::var_os("UPDATE_DOCS").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/roles.table.md");
            std::fs::write(path, markdown_table()).unwrap();
        }
        assert!(
            doc.contains(&markdown_table()),
            "docs/roles.md is out of date; paste the output of domain::roles::markdown_table() into it"
        );
    }
}
