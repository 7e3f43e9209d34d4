//! The types of the change feed (issue 11; CS Art. 27, 30: the data platform learns of every change to the
//! retirees it shares; JN Art. 33). A type's code is stable; its payload schema has a version, raised only by
//! incompatible changes.

use crate::enums::PensionStatus;

crate::code_enum! {
    /// What happened. The payload carries the change's own fields and the person's state after it (`retiree`).
    EventType {
        /// A person was registered: singly, by import or by handover (`source`).
        RetireeCreated = "retiree.created": "登记退休人员",
        /// A person's record was changed (`changed` lists the fields).
        RetireeUpdated = "retiree.updated": "修改退休人员信息",
        /// A person moved to another community: a completed transfer or a correction (`reason`).
        RetireeMoved = "retiree.moved": "迁移（变更所在社区）",
        /// The pension was suspended (CS Art. 32(1)).
        PensionSuspended = "pension.suspended": "暂停发放养老金",
        /// The pension was resumed (CS Art. 32(2)) or restored after a death report was reversed.
        PensionResumed = "pension.resumed": "恢复发放养老金",
        /// The pension was stopped (death; CS Art. 32(3)).
        PensionStopped = "pension.stopped": "终止发放养老金",
        /// The person moved out of the city; the new place pays (CS Art. 28; JN Art. 22).
        PensionTransferredOut = "pension.transferred_out": "转出",
        /// Eligibility was certified (XM Art. 15).
        RetireeCertified = "retiree.certified": "资格认证",
        /// A death was verified (GUIDE 四).
        RetireeDied = "retiree.died": "死亡核实",
        /// A verified death was reversed.
        RetireeDeathReversed = "retiree.death_reversed": "撤销死亡核实",
        /// The person was taken off the community's roll (JN Art. 22).
        RetireeReduced = "retiree.reduced": "减员",
        /// A reduction was reversed.
        RetireeReinstated = "retiree.reinstated": "撤销减员",
        /// A dependant was registered.
        DependentCreated = "dependent.created": "登记供养亲属",
        /// A dependant's record was changed.
        DependentUpdated = "dependent.updated": "修改供养亲属信息",
        /// A dependant's record was removed.
        DependentRemoved = "dependent.removed": "删除供养亲属",
        /// A supported dependant was certified (XM Art. 15).
        DependentCertified = "dependent.certified": "供养亲属资格认证",
        /// A dependant's support started, was suspended, resumed or ended.
        DependentSupportChanged = "dependent.support_changed": "供养亲属待遇状态变更",
        /// A handed-over person was accepted by the community (GUIDE 交接制度).
        HandoverAccepted = "handover.accepted": "接收移交人员",
        /// A transfer changed status (applied, released, completed, returned).
        TransferChanged = "transfer.changed": "迁移申请状态变更",
        /// A condolence was paid, or a visit recorded without payment (XM Art. 14, 21(2)-(3)).
        CondolenceRecorded = "condolence.recorded": "登记慰问",
        /// A petition was reported to the level above (GUIDE 接待制度), at once on registration for a collective
        /// petition or an emergency.
        PetitionEscalated = "petition.escalated": "信访件逐级上报",
        // Personnel archives (issue 23).
        /// A personnel archive was received (XM Art. 16; CS Art. 12(2); JN Art. 21(3)).
        ArchiveReceived = "archive.received": "接收人事档案",
        /// An archive was lent out for use (JN Art. 7(12) "档案利用").
        ArchiveLent = "archive.lent": "借出人事档案",
        /// A lent archive came back.
        ArchiveReturned = "archive.returned": "归还人事档案",
        /// An archive was sent to, or confirmed received by, another authority (JN Art. 7(12) "档案传递").
        ArchiveTransferred = "archive.transferred": "转递人事档案",
        /// A supplementary material was filed (JN Art. 27).
        ArchiveSupplemented = "archive.supplemented": "补充材料归档",
        // Elderly care services (issue 26; GUIDE 第二部分六).
        /// A care request was received (step 3).
        CareRequestCreated = "care.request_created": "受理养老护理服务申请",
        /// A care request was booked with a caregiver and a time slot (steps 5-6).
        CareBooked = "care.booked": "预约养老护理服务",
        /// A booked service was given.
        CareDelivered = "care.delivered": "完成养老护理服务",
        /// A service was evaluated by the person or the family (step 9).
        CareEvaluated = "care.evaluated": "评价养老护理服务",
        /// A person moved into a care institution (JN Art. 7(3): certified at home there).
        CareMovedIn = "care.moved_in": "入住养老机构",
        // Monthly reports (issue 27).
        /// A node closed its month: the report is filed (GUIDE 交接制度 "按月计报"); `report` links to it.
        ReportMonthClosed = "report.month_closed": "月报结账",
        // Community services (issue 25).
        /// A health record was created (GUIDE 第五部分第四章四 2(7)); the payload carries no health data.
        HealthRecordCreated = "health.record_created": "建立健康档案",
        /// A health record was updated or adjusted (2(8)-(9)); the payload carries no health data.
        HealthRecordUpdated = "health.record_updated": "更新健康档案",
        /// A retiree or dependant signed up for an activity (XM Art. 17; CS Art. 20).
        ActivitySignedUp = "activity.signed_up": "报名参加文体健康活动",
        /// Attendance of an activity was recorded.
        ActivityAttended = "activity.attended": "登记活动参加情况",
        /// A volunteer's service was recorded (CS Art. 22).
        VolunteerServed = "volunteer.served": "登记志愿服务",
        // Funding at every level (issue 27).
        /// A parent allocated part of its fund to a child (XM Art. 22: recipient numbers and amounts to districts).
        FundAllocated = "fund.allocated": "分配经费",
        /// A node closed a fund's year: the statement is filed; `statement` links to it.
        FundYearClosed = "fund.year_closed": "经费年度结算",
        // Personnel archives: digitisation batches (issue 23).
        /// An archive came back digitised from a scanning batch (XM Art. 16).
        ArchiveDigitised = "archive.digitised": "人事档案完成数字化",
        /// A high-age allowance application was filed (JN Art. 7(7)).
        AllowanceApplied = "allowance.applied": "受理高龄补贴申请",
        /// A high-age allowance application was approved or refused (JN Art. 7(7)).
        AllowanceDecided = "allowance.decided": "审批高龄补贴申请",
        /// A person was referred to civil affairs for 低保 or 特困 (JN Art. 7(8)).
        AssistanceReferred = "assistance.referred": "转介低保、特困救助",
        /// Civil affairs' answer to a referral was recorded (JN Art. 7(8)).
        AssistanceChanged = "assistance.changed": "登记救助转介结果",
        // Community services (issue 25): tracked errands.
        /// An errand was opened for a person (by a user, or on a transfer between districts; JN Art. 24).
        ErrandOpened = "errand.opened": "受理代办事项",
        /// An errand was submitted, answered or withdrawn (JN Art. 24).
        ErrandChanged = "errand.changed": "代办事项状态变更",
        // Community services (issue 25): party members' organisation relations.
        /// A party member's organisation relation was established, transferred, accepted or closed (JN Art. 22).
        PartyRelationChanged = "party.relation_changed": "党员组织关系变动",
        /// A branch recorded organisation life with its attendance (CS Art. 24; JN Art. 29).
        PartyMeetingRecorded = "party.meeting_recorded": "登记党组织生活",
        // Reports, ledgers and funds (issue 27, reports27).
        /// A condolence was cancelled; its fund booking, if any, was reversed in the same transaction.
        CondolenceCancelled = "condolence.cancelled": "撤销慰问",
        /// An excellent-leader award was cancelled; its booking was reversed by a negative booking (XM Art. 24).
        AwardCancelled = "award.cancelled": "撤销优秀小组长奖励",
    }
}

/// The event of a pension status change, by the status after it.
pub fn pension_event(to: PensionStatus) -> EventType {
    match to {
        PensionStatus::Normal => EventType::PensionResumed,
        PensionStatus::Suspended => EventType::PensionSuspended,
        PensionStatus::Stopped => EventType::PensionStopped,
        PensionStatus::TransferredOut => EventType::PensionTransferredOut,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_changes_have_their_own_types() {
        // CS Art. 32: suspension, resumption and termination are distinct decisions the platform acts on.
        assert_eq!(pension_event(PensionStatus::Suspended).as_str(), "pension.suspended");
        assert_eq!(pension_event(PensionStatus::Normal).as_str(), "pension.resumed");
        assert_eq!(pension_event(PensionStatus::Stopped).as_str(), "pension.stopped");
        assert_eq!(EventType::parse("retiree.created"), Some(EventType::RetireeCreated));
        assert_eq!(EventType::parse("retiree.unknown"), None);
    }
}
