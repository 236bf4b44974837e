using OperatorConsole.Domain.Conversations;

namespace OperatorConsole.Tests.Domain;

/// <summary>The two timed transitions: what the scheduler's firing may change, and when it must change nothing.</summary>
public class ConversationTimerRuleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    private static Conversation New() => Conversation.Start(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), T0);

    [Fact]
    public void A_snooze_wakes_at_its_time_and_only_once()
    {
        var c = New();
        c.Snooze(T0.AddHours(1), T0);
        Assert.False(c.WakeFromSnooze(T0.AddHours(1).AddTicks(-1)));
        Assert.Equal(ConversationStatus.Snoozed, c.Status);

        Assert.True(c.WakeFromSnooze(T0.AddHours(1)));
        Assert.Equal(ConversationStatus.Open, c.Status);
        Assert.Null(c.SnoozedUntil);
        Assert.False(c.WakeFromSnooze(T0.AddHours(2)));
    }

    [Fact]
    public void A_wake_for_an_earlier_snooze_changes_nothing_once_snoozed_again_until_later_or_reopened_or_resolved()
    {
        var c = New();
        c.Snooze(T0.AddHours(1), T0);
        c.Snooze(T0.AddHours(3), T0);
        Assert.False(c.WakeFromSnooze(T0.AddHours(1)));
        Assert.Equal(T0.AddHours(3), c.SnoozedUntil);

        c.Reopen();
        Assert.False(c.WakeFromSnooze(T0.AddHours(3)));

        c.Snooze(T0.AddHours(4), T0);
        c.Resolve(T0.AddHours(1));
        Assert.False(c.WakeFromSnooze(T0.AddHours(5)));
        Assert.Equal(ConversationStatus.Resolved, c.Status);
    }

    [Theory]
    [InlineData(HandoffPriority.Normal, HandoffPriority.Urgent)]
    [InlineData(HandoffPriority.Urgent, HandoffPriority.Critical)]
    [InlineData(HandoffPriority.Critical, HandoffPriority.Critical)]
    public void A_waiting_handoff_past_its_SLA_moves_up_one_priority_and_keeps_its_due_time(HandoffPriority from, HandoffPriority to)
    {
        var c = New();
        c.HandOff(HandoffReason.UserRequested, from, T0);
        var due = T0 + Conversation.SlaFor(from);
        Assert.False(c.EscalateOverdueHandoff(due.AddTicks(-1)));
        Assert.Equal(from, c.Priority);

        Assert.True(c.EscalateOverdueHandoff(due));
        Assert.Equal(to, c.Priority);
        Assert.Equal(due, c.SlaDueAt);
        Assert.Equal(ConversationOwner.Unassigned, c.Owner);
    }

    [Fact]
    public void A_handoff_someone_took_assigned_handed_back_or_resolved_does_not_escalate()
    {
        var due = T0 + Conversation.SlaFor(HandoffPriority.Normal);
        var taken = New();
        taken.HandOff(HandoffReason.UserRequested, HandoffPriority.Normal, T0);
        taken.TakeOver(Guid.NewGuid());
        Assert.False(taken.EscalateOverdueHandoff(due));

        var assigned = New();
        assigned.HandOff(HandoffReason.UserRequested, HandoffPriority.Normal, T0);
        assigned.AssignTo(Guid.NewGuid());
        Assert.False(assigned.EscalateOverdueHandoff(due));
        Assert.Equal(HandoffPriority.Normal, assigned.Priority);

        var back = New();
        back.HandOff(HandoffReason.UserRequested, HandoffPriority.Normal, T0);
        back.HandBackToBot();
        Assert.False(back.EscalateOverdueHandoff(due));

        var resolved = New();
        resolved.HandOff(HandoffReason.UserRequested, HandoffPriority.Normal, T0);
        resolved.Resolve(T0.AddMinutes(1));
        Assert.False(resolved.EscalateOverdueHandoff(due));
    }
}
