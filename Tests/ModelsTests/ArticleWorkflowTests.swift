import Models
import Testing

@Suite("Editorial workflow")
struct ArticleWorkflowTests {
    @Test("The main flow: received → in editing → pending approval → approved → published")
    func mainFlow() throws {
        var state = ArticleState.received
        for action: ArticleAction in [.startEditing, .submitForApproval, .approve, .publish] {
            state = try ArticleWorkflow.next(from: state, on: action)
        }
        #expect(state == .published)
    }

    // a refusal names one of the five reasons and ends the item.
    @Test func refusalEndsTheItem() throws {
        let state = try ArticleWorkflow.next(from: .pendingApproval, on: .reject(.stateSecret))
        #expect(state == .rejected)
        #expect(state.isFinal)
        #expect(ArticleWorkflow.allowedActions(from: .rejected).isEmpty)
    }

    // take-down applies to published information only, and the item is kept (a state, not a deletion).
    @Test func takeDownOnlyFromPublished() throws {
        #expect(try ArticleWorkflow.next(from: .published, on: .takeDown) == .takenDown)
        #expect(throws: InvalidTransition(from: .approved, action: "take_down")) {
            try ArticleWorkflow.next(from: .approved, on: .takeDown)
        }
    }

    @Test func returnedItemsCanComeBack() throws {
        let returned = try ArticleWorkflow.next(from: .pendingApproval, on: .returnForRevision)
        #expect(returned == .returned)
        #expect(try ArticleWorkflow.next(from: returned, on: .resubmit) == .received)
        #expect(try ArticleWorkflow.next(from: returned, on: .startEditing) == .inEditing)
    }

    @Test func withdrawalOnlyBeforeApproval() throws {
        for state: ArticleState in [.received, .inEditing, .pendingApproval, .returned] {
            #expect(try ArticleWorkflow.next(from: state, on: .withdraw) == .withdrawn)
        }
        for state: ArticleState in [.approved, .published] {
            #expect(throws: InvalidTransition.self) { try ArticleWorkflow.next(from: state, on: .withdraw) }
        }
    }

    // A correction of a published item goes through approval again; the live version stays until then.
    @Test func correctionsAreApprovedAgainAndNeverUnpublish() throws {
        var state = try ArticleWorkflow.next(from: .published, on: .startCorrection)
        #expect(state == .inEditing)
        state = try ArticleWorkflow.next(from: state, on: .submitForApproval, correcting: true)
        #expect(try ArticleWorkflow.next(from: state, on: .approve, correcting: true) == .approved)
        #expect(try ArticleWorkflow.next(from: state, on: .reject(.untrueLowQualityOrDuplicate), correcting: true) == .published,
                "a refused correction leaves the published version as it was")
        #expect(try ArticleWorkflow.next(from: state, on: .takeDown, correcting: true) == .takenDown, "R-1.4 still applies")
        #expect(throws: InvalidTransition.self) { try ArticleWorkflow.next(from: state, on: .withdraw, correcting: true) }
        #expect(throws: InvalidTransition.self) { try ArticleWorkflow.next(from: .inEditing, on: .startCorrection) }
    }

    @Test func nothingSkipsApproval() {
        #expect(throws: InvalidTransition.self) { try ArticleWorkflow.next(from: .inEditing, on: .publish) }
        #expect(throws: InvalidTransition.self) { try ArticleWorkflow.next(from: .received, on: .approve) }
        #expect(ArticleWorkflow.allowedActions(from: .inEditing).map(\.code).sorted()
            == ["return_for_revision", "submit_for_approval", "withdraw"])
    }

    // exactly the five reasons of Art. 9.5, in the regulation's words.
    @Test func theFiveRefusalReasons() {
        #expect(RefusalReason.allCases.map(\.rawValue) == [
            "outside_remit", "contrary_to_policy_or_law", "untrue_low_quality_or_duplicate", "state_secret",
            "not_cleared_for_release",
        ])
        #expect(RefusalReason.stateSecret.vietnamese == "Thông tin thuộc bí mật Nhà nước")
        #expect(RefusalReason.allCases.allSatisfy { $0.vietnamese == $0.vietnamese.precomposedStringWithCanonicalMapping })
    }
}
