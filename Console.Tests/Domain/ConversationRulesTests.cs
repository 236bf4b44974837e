using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Conversations;

namespace OperatorConsole.Tests.Domain;

/// <summary>The conversation state machine and the customer window policy, with a fixed clock.</summary>
public class ConversationRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly Guid Member = Guid.NewGuid();

    private static Conversation NewConversation() => Conversation.Start(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Now.AddHours(-1));

    private static Conversation Resolved()
    {
        var c = NewConversation();
        Assert.True(c.Resolve(Now.AddMinutes(-10)));
        return c;
    }

    // ---- customer window: the edges of each channel's rule ----

    [Theory]
    [InlineData(ChannelKind.WhatsApp, false, 24)]
    [InlineData(ChannelKind.WhatsApp, true, 72)]
    [InlineData(ChannelKind.Messenger, false, 24)]
    [InlineData(ChannelKind.Instagram, false, 24)]
    [InlineData(ChannelKind.TikTok, false, 48)]
    public void The_window_is_open_one_second_before_its_length_and_closed_at_it(ChannelKind kind, bool fromAd, int hours)
    {
        var conversation = NewConversation();
        var sentAt = Now;
        conversation.RecordInbound(sentAt, kind, fromAd, "hola");

        Assert.Equal(sentAt.AddHours(hours), conversation.CustomerWindowExpiresAt);
        Assert.True(conversation.IsCustomerWindowOpen(sentAt.AddHours(hours).AddSeconds(-1))); // e.g. 23:59:59
        Assert.False(conversation.IsCustomerWindowOpen(sentAt.AddHours(hours)));               // e.g. 24:00:00
        Assert.Equal(CustomerWindowState.Open, conversation.CustomerWindowFor(kind, byPerson: false, sentAt.AddHours(hours).AddSeconds(-1)));
    }

    [Fact]
    public void An_ad_referral_only_lengthens_the_window_on_WhatsApp()
    {
        Assert.Equal(TimeSpan.FromHours(72), CustomerWindow.For(ChannelKind.WhatsApp, fromAdReferral: true));
        Assert.Equal(TimeSpan.FromHours(24), CustomerWindow.For(ChannelKind.Messenger, fromAdReferral: true));
        Assert.Equal(TimeSpan.FromHours(48), CustomerWindow.For(ChannelKind.TikTok, fromAdReferral: true));
    }

    [Fact]
    public void A_later_plain_message_does_not_shorten_an_ad_window()
    {
        var conversation = NewConversation();
        conversation.RecordInbound(Now, ChannelKind.WhatsApp, fromAdReferral: true, "vi su anuncio");
        conversation.RecordInbound(Now.AddHours(1), ChannelKind.WhatsApp, fromAdReferral: false, "otra cosa");
        Assert.Equal(Now.AddHours(72), conversation.CustomerWindowExpiresAt);
    }

    [Theory]
    [InlineData(ChannelKind.Messenger)]
    [InlineData(ChannelKind.Instagram)]
    public void A_person_may_answer_with_HUMAN_AGENT_until_7_days_after_the_last_message_the_bot_may_not(ChannelKind kind)
    {
        var conversation = NewConversation();
        conversation.RecordInbound(Now, kind, fromAdReferral: false, "hola");

        var lastSecond = Now.AddDays(7).AddSeconds(-1);
        Assert.Equal(CustomerWindowState.HumanAgentTagOnly, conversation.CustomerWindowFor(kind, byPerson: true, Now.AddHours(24)));
        Assert.Equal(CustomerWindowState.HumanAgentTagOnly, conversation.CustomerWindowFor(kind, byPerson: true, lastSecond));
        Assert.Equal(CustomerWindowState.Closed, conversation.CustomerWindowFor(kind, byPerson: true, Now.AddDays(7)));
        Assert.Equal(CustomerWindowState.Closed, conversation.CustomerWindowFor(kind, byPerson: false, Now.AddHours(24)));
    }

    [Theory]
    [InlineData(ChannelKind.WhatsApp)]
    [InlineData(ChannelKind.TikTok)]
    public void Only_Messenger_and_Instagram_have_a_HUMAN_AGENT_period(ChannelKind kind)
    {
        var conversation = NewConversation();
        conversation.RecordInbound(Now, kind, fromAdReferral: false, "hola");
        Assert.Equal(CustomerWindowState.Closed, conversation.CustomerWindowFor(kind, byPerson: true, Now.AddHours(72)));
    }

    [Fact]
    public void Without_any_customer_message_the_window_is_closed()
    {
        var conversation = NewConversation();
        Assert.Equal(CustomerWindowState.Closed, conversation.CustomerWindowFor(ChannelKind.Messenger, byPerson: true, Now));
        Assert.False(CustomerWindow.IsOpen(null, Now));
    }

    // ---- agent-turn lease ----

    [Fact]
    public void A_due_turn_is_claimed_once_until_its_lease_runs_out()
    {
        var conversation = NewConversation();
        var first = Guid.NewGuid();
        var second = Guid.NewGuid();

        Assert.False(conversation.ClaimAgentTurn(first, Now.AddMinutes(2), Now)); // nothing due
        conversation.ScheduleAgentTurn(Now.AddSeconds(5));
        Assert.False(conversation.ClaimAgentTurn(first, Now.AddMinutes(2), Now)); // not due yet

        Assert.True(conversation.ClaimAgentTurn(first, Now.AddMinutes(2), Now.AddSeconds(5)));
        Assert.Equal((first, 1), (conversation.AgentLeaseId!.Value, conversation.AgentTurnAttempts));
        Assert.False(conversation.ClaimAgentTurn(second, Now.AddMinutes(4), Now.AddMinutes(2))); // lease still live at its end

        Assert.True(conversation.ClaimAgentTurn(second, Now.AddMinutes(4), Now.AddMinutes(2).AddSeconds(1)));
        Assert.Equal((second, 2), (conversation.AgentLeaseId!.Value, conversation.AgentTurnAttempts));
    }

    [Fact]
    public void Only_the_lease_holder_completes_or_releases_the_turn()
    {
        var conversation = NewConversation();
        var lease = Guid.NewGuid();
        conversation.ScheduleAgentTurn(Now);
        Assert.True(conversation.ClaimAgentTurn(lease, Now.AddMinutes(2), Now));
        Assert.True(conversation.HoldsAgentTurn(lease, Now));

        Assert.False(conversation.ReleaseAgentTurn(Guid.NewGuid(), Now.AddMinutes(1)));
        Assert.False(conversation.CompleteAgentTurn(Guid.NewGuid()));
        Assert.Equal(lease, conversation.AgentLeaseId);

        Assert.True(conversation.ReleaseAgentTurn(lease, Now.AddSeconds(30)));
        Assert.Equal((null, null, Now.AddSeconds(30)), (conversation.AgentLeaseId, conversation.AgentLeaseUntil, conversation.AgentDueAt));

        Assert.True(conversation.ClaimAgentTurn(lease, Now.AddMinutes(3), Now.AddSeconds(30)));
        Assert.True(conversation.CompleteAgentTurn(lease));
        Assert.Equal((null, null, 0), (conversation.AgentDueAt, conversation.AgentLeaseId, conversation.AgentTurnAttempts));
        Assert.False(conversation.CompleteAgentTurn(lease)); // twice: no longer held
    }

    [Fact]
    public void A_takeover_ends_the_lease_holders_right_to_answer()
    {
        var conversation = NewConversation();
        var lease = Guid.NewGuid();
        conversation.ScheduleAgentTurn(Now);
        conversation.ClaimAgentTurn(lease, Now.AddMinutes(2), Now);
        conversation.TakeOver(Member);
        Assert.False(conversation.HoldsAgentTurn(lease, Now));
    }

    // ---- ownership and status transitions ----

    [Fact]
    public void Take_over_silences_the_bot_and_clears_the_sla()
    {
        var conversation = NewConversation();
        conversation.HandOff(HandoffReason.UserRequested, HandoffPriority.Urgent, Now);
        conversation.ScheduleAgentTurn(Now);
        conversation.TakeOver(Member);
        Assert.Equal((ConversationOwner.Human, Member, null, null),
            (conversation.Owner, conversation.AssignedMemberId, conversation.AgentDueAt, conversation.SlaDueAt));
    }

    [Fact]
    public void Take_over_through_the_API_without_a_member_is_human_owned_but_nobodys()
    {
        var conversation = NewConversation();
        conversation.TakeOver(null);
        Assert.Equal((ConversationOwner.Human, (Guid?)null), (conversation.Owner, conversation.AssignedMemberId));
    }

    [Fact]
    public void Take_over_of_a_resolved_conversation_is_refused_with_a_code()
    {
        var ex = Assert.Throws<DomainException>(() => Resolved().TakeOver(Member));
        Assert.Equal(Conversation.ResolvedCode, ex.Code);
    }

    [Fact]
    public void Hand_off_of_an_unassigned_conversation_waits_for_a_human_and_starts_the_sla()
    {
        var conversation = NewConversation();
        conversation.Snooze(Now.AddHours(1), Now);
        conversation.ScheduleAgentTurn(Now);
        Assert.True(conversation.HandOff(HandoffReason.PaymentIssue, HandoffPriority.Critical, Now));
        Assert.Equal((ConversationOwner.Unassigned, ConversationStatus.Open, Now.AddMinutes(2), (DateTimeOffset?)null),
            (conversation.Owner, conversation.Status, conversation.SlaDueAt, conversation.AgentDueAt));
        Assert.Equal((HandoffReason.PaymentIssue, HandoffPriority.Critical), (conversation.HandoffReason!.Value, conversation.Priority!.Value));
    }

    [Fact]
    public void Hand_off_of_an_assigned_conversation_stays_with_its_person()
    {
        var conversation = NewConversation();
        conversation.AssignTo(Member);
        Assert.True(conversation.HandOff(HandoffReason.UserRequested, HandoffPriority.Normal, Now));
        Assert.Equal((ConversationOwner.Human, Now.AddMinutes(15)), (conversation.Owner, conversation.SlaDueAt!.Value));
    }

    [Fact]
    public void Hand_off_of_a_resolved_conversation_is_a_no_op()
    {
        var conversation = Resolved();
        Assert.False(conversation.HandOff(HandoffReason.UserRequested, HandoffPriority.Urgent, Now));
        Assert.Equal((ConversationStatus.Resolved, ConversationOwner.Bot, (DateTimeOffset?)null, (HandoffReason?)null),
            (conversation.Status, conversation.Owner, conversation.SlaDueAt, conversation.HandoffReason));
    }

    [Fact]
    public void Hand_back_returns_the_conversation_to_the_bot_and_forgets_the_handoff()
    {
        var conversation = NewConversation();
        conversation.HandOff(HandoffReason.UserRequested, HandoffPriority.Urgent, Now);
        conversation.AssignTo(Member);
        conversation.HandBackToBot();
        Assert.Equal((ConversationOwner.Bot, (Guid?)null, (HandoffReason?)null, (HandoffPriority?)null, (DateTimeOffset?)null),
            (conversation.Owner, conversation.AssignedMemberId, conversation.HandoffReason, conversation.Priority, conversation.SlaDueAt));
    }

    [Fact]
    public void Hand_back_of_a_resolved_conversation_is_refused_with_a_code()
    {
        var conversation = Resolved();
        conversation.AssignTo(Member);
        var ex = Assert.Throws<DomainException>(conversation.HandBackToBot);
        Assert.Equal(Conversation.ResolvedHandBackCode, ex.Code);
        Assert.Equal((ConversationOwner.Human, Member), (conversation.Owner, conversation.AssignedMemberId!.Value));
    }

    [Fact]
    public void Assign_gives_the_conversation_to_a_person_and_cancels_the_bots_turn()
    {
        var conversation = NewConversation();
        conversation.ScheduleAgentTurn(Now);
        conversation.AssignTo(Member);
        Assert.Equal((ConversationOwner.Human, Member, (DateTimeOffset?)null),
            (conversation.Owner, conversation.AssignedMemberId!.Value, conversation.AgentDueAt));
    }

    [Fact]
    public void A_reply_from_another_tool_silences_the_bot()
    {
        var conversation = NewConversation();
        conversation.ScheduleAgentTurn(Now);
        conversation.HumanRepliedElsewhere();
        Assert.Equal((ConversationOwner.Human, HandoffReason.HumanReplied, (DateTimeOffset?)null),
            (conversation.Owner, conversation.HandoffReason!.Value, conversation.AgentDueAt));
    }

    [Fact]
    public void Resolve_closes_and_cancels_the_turn_and_the_sla()
    {
        var conversation = NewConversation();
        conversation.HandOff(HandoffReason.UserRequested, HandoffPriority.Normal, Now);
        Assert.True(conversation.Resolve(Now));
        Assert.Equal((ConversationStatus.Resolved, Now, (DateTimeOffset?)null, (DateTimeOffset?)null),
            (conversation.Status, conversation.ResolvedAt!.Value, conversation.AgentDueAt, conversation.SlaDueAt));
        conversation.ScheduleAgentTurn(Now.AddSeconds(5));
        Assert.Null(conversation.AgentDueAt); // the bot never answers a resolved conversation
    }

    [Fact]
    public void Resolving_twice_is_a_no_op_that_keeps_the_first_resolution_time()
    {
        var conversation = NewConversation();
        Assert.True(conversation.Resolve(Now));
        Assert.False(conversation.Resolve(Now.AddHours(1)));
        Assert.Equal(Now, conversation.ResolvedAt);
    }

    [Fact]
    public void Snooze_needs_a_future_time()
    {
        var conversation = NewConversation();
        var ex = Assert.Throws<DomainException>(() => conversation.Snooze(Now, Now));
        Assert.Equal(Conversation.SnoozeCode, ex.Code);
        Assert.Equal(ConversationStatus.Open, conversation.Status);

        conversation.Snooze(Now.AddHours(2), Now);
        Assert.Equal((ConversationStatus.Snoozed, Now.AddHours(2)), (conversation.Status, conversation.SnoozedUntil!.Value));
    }

    [Fact]
    public void A_customer_message_wakes_a_snoozed_conversation_and_reopens_a_resolved_one()
    {
        var snoozed = NewConversation();
        snoozed.Snooze(Now.AddHours(2), Now);
        snoozed.RecordInbound(Now.AddMinutes(1), ChannelKind.WhatsApp, fromAdReferral: false, "¿sigue ahí?");
        Assert.Equal((ConversationStatus.Open, (DateTimeOffset?)null), (snoozed.Status, snoozed.SnoozedUntil));

        var resolved = Resolved();
        resolved.RecordInbound(Now.AddMinutes(1), ChannelKind.WhatsApp, fromAdReferral: false, "una cosa más");
        Assert.Equal((ConversationStatus.Open, (DateTimeOffset?)null), (resolved.Status, resolved.ResolvedAt));
    }

    [Fact]
    public void Reopen_wakes_a_snoozed_conversation_and_reopens_a_resolved_one()
    {
        var snoozed = NewConversation();
        snoozed.Snooze(Now.AddHours(2), Now);
        snoozed.Reopen();
        Assert.Equal((ConversationStatus.Open, (DateTimeOffset?)null), (snoozed.Status, snoozed.SnoozedUntil));

        var resolved = Resolved();
        resolved.Reopen();
        Assert.Equal((ConversationStatus.Open, (DateTimeOffset?)null), (resolved.Status, resolved.ResolvedAt));
        resolved.TakeOver(Member); // allowed again once reopened
        Assert.Equal(ConversationOwner.Human, resolved.Owner);
    }
}
