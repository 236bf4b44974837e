using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Events;

namespace OperatorConsole.Infrastructure.Live;

/// <summary>
/// Tells live screens (this node's, and through the relay every other node's) what changed: one "conversation changed"
/// per conversation per commit, named after what happened first in it (a timeline entry only when nothing else
/// happened); workspace-wide switches as a change of no conversation.
/// </summary>
public sealed class LiveScreens(ConversationNotifier notifier) : IDomainEventHandler
{
    public void Handle(IReadOnlyList<IDomainEvent> events)
    {
        HashSet<(Guid, Guid)>? told = null;
        foreach (var e in events) if (e is not TimelineEntryAdded) Tell(e, ref told);
        foreach (var e in events) if (e is TimelineEntryAdded) Tell(e, ref told);
    }

    private void Tell(IDomainEvent e, ref HashSet<(Guid, Guid)>? told)
    {
        var conversation = e switch
        {
            ConversationDomainEvent c => c.ConversationId,
            BotSwitched or WorkspaceLabelsChanged or WorkspaceStatusChanged => Guid.Empty,
            // A lead's move: its latest conversation (the contact panel), or the workspace when it has none (the leads screens).
            LeadStageChanged l => l.ConversationId ?? Guid.Empty,
            // The payments screen lists the whole workspace's; the conversation hears of it through the payment's timeline line.
            PaymentChanged => Guid.Empty,
            // The calendar lists the whole workspace's bookings.
            AppointmentBooked or AppointmentMoved or AppointmentCancelled or AppointmentStatusChanged => Guid.Empty,
            _ => (Guid?)null,
        };
        if (conversation is not { } id || !(told ??= []).Add((e.TenantId, id))) return;
        notifier.Publish(new ConversationChanged(e.TenantId, id, e.GetType().Name));
    }
}
