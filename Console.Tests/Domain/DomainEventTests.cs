using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Conversations;

namespace OperatorConsole.Tests.Domain;

/// <summary>The aggregates record what happened, once per real change; a refused or no-op change records nothing.</summary>
public class DomainEventTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    private static Conversation Fresh()
    {
        var c = Conversation.Start(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Now);
        c.TakeEvents();
        return c;
    }

    [Fact]
    public void A_new_conversation_records_that_it_started()
    {
        var c = Conversation.Start(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Now);
        var started = Assert.IsType<ConversationStarted>(Assert.Single(c.TakeEvents()));
        Assert.Equal((c.TenantId, c.Id), (started.TenantId, started.ConversationId));
        Assert.Empty(c.TakeEvents()); // taken once
    }

    [Fact]
    public void Taking_over_records_who_took_it()
    {
        var c = Fresh();
        var member = Guid.NewGuid();
        c.TakeOver(member);
        Assert.Equal(new ConversationTakenOver(c.TenantId, c.Id, member), Assert.Single(c.TakeEvents()));
    }

    [Fact]
    public void Resolving_twice_records_one_resolution_and_a_refused_takeover_records_nothing()
    {
        var c = Fresh();
        Assert.True(c.Resolve(Now));
        Assert.False(c.Resolve(Now.AddMinutes(1)));
        Assert.Throws<DomainException>(() => c.TakeOver(Guid.NewGuid()));
        Assert.Throws<DomainException>(() => c.HandBackToBot());
        Assert.False(c.HandOff(HandoffReason.UserRequested, HandoffPriority.Normal, Now));
        Assert.IsType<ConversationResolved>(Assert.Single(c.TakeEvents()));
    }

    [Fact]
    public void A_handoff_records_its_reason_and_priority()
    {
        var c = Fresh();
        Assert.True(c.HandOff(HandoffReason.Keyword, HandoffPriority.Urgent, Now));
        Assert.Equal(new ConversationHandedOff(c.TenantId, c.Id, HandoffReason.Keyword, HandoffPriority.Urgent), Assert.Single(c.TakeEvents()));
    }

    [Fact]
    public void Waking_records_only_a_wake_that_happens()
    {
        var c = Fresh();
        c.Snooze(Now.AddHours(1), Now);
        Assert.False(c.WakeFromSnooze(Now.AddMinutes(30))); // snoozed until later: nothing
        Assert.True(c.WakeFromSnooze(Now.AddHours(1)));
        Assert.Collection(c.TakeEvents(),
            e => Assert.IsType<ConversationSnoozed>(e),
            e => Assert.IsType<ConversationWoke>(e));
    }

    [Fact]
    public void Reading_an_already_read_conversation_records_nothing()
    {
        var c = Fresh();
        c.MarkRead();
        Assert.Empty(c.TakeEvents());
        c.RecordInbound(Now, ChannelKind.WhatsApp, false, "hola");
        c.MarkRead();
        Assert.IsType<ConversationRead>(Assert.Single(c.TakeEvents()));
    }

    [Fact]
    public void A_message_records_its_arrival_and_only_statuses_that_move_it_forward()
    {
        var c = Fresh();
        var inbound = Message.Inbound(c, "wamid.1", MessageType.Text, "hola", null, Now, Now);
        Assert.IsType<MessageReceived>(Assert.Single(inbound.TakeEvents()));

        var reply = Message.Outbound(c, MessageSender.Bot, null, MessageType.Text, "¡Hola!", null, Now);
        Assert.IsType<OutboundMessageQueued>(Assert.Single(reply.TakeEvents()));
        reply.MarkSent("wamid.2");
        Assert.True(reply.AdvanceStatus(DeliveryStatus.Read));
        Assert.False(reply.AdvanceStatus(DeliveryStatus.Delivered)); // Meta may send "delivered" after "read"
        Assert.Collection(reply.TakeEvents(),
            e => Assert.Equal(DeliveryStatus.Sent, Assert.IsType<OutboundMessageAttempted>(e).Status),
            e => Assert.Equal(DeliveryStatus.Read, Assert.IsType<MessageStatusChanged>(e).Status));
    }

    [Fact]
    public void An_echo_is_recorded_as_an_echo_not_as_a_send_to_make()
    {
        var c = Fresh();
        var echo = Message.Echo(c, "wamid.3", MessageType.Text, "Respondido desde el teléfono", null, Now, Now);
        Assert.IsType<MessageEchoed>(Assert.Single(echo.TakeEvents()));
    }
}
