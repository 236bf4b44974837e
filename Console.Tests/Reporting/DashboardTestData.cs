using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;

namespace OperatorConsole.Tests.Reporting;

/// <summary>Rows for the owner's home: conversations with their replies at exact times, and the timeline events of handoffs.</summary>
public static class DashboardTestData
{
    /// <summary>
    /// A conversation whose customer wrote at <paramref name="asked"/>, and the replies that followed (seconds after the
    /// question, by whom), with a new contact created when it first wrote. Rows are added to <paramref name="rows"/>.
    /// </summary>
    public static (Contact Contact, Conversation Conversation) Converse(List<object> rows, Guid tenantId, Channel channel, string name,
        DateTimeOffset asked, params (int Seconds, MessageSender By)[] replies)
    {
        var contact = Contact.Create(tenantId, name, null, asked);
        var conversation = Conversation.Start(tenantId, channel.Id, contact.Id, asked);
        conversation.RecordInbound(asked, channel.Kind, false, "Hola");
        rows.Add(contact);
        rows.Add(conversation);
        rows.Add(Message.Inbound(conversation, "wamid." + Guid.NewGuid().ToString("N"), MessageType.Text, "Hola", null, asked, asked));
        foreach (var (seconds, by) in replies)
        {
            var at = asked.AddSeconds(seconds);
            rows.Add(Message.Outbound(conversation, by, null, MessageType.Text, "Respuesta", null, at));
            conversation.RecordOutbound(at, "Respuesta");
        }
        return (contact, conversation);
    }

    /// <summary>A timeline event as the app writes it; a handoff stores its reason in the event's data.</summary>
    public static ConversationEvent Event(Conversation c, ConversationEventType type, DateTimeOffset at, HandoffReason? reason = null) =>
        ConversationEvent.Record(c, type, null, type.ToString(),
            reason is { } r ? $$"""{"reason":"{{r}}","priority":"Normal"}""" : null, at);
}
