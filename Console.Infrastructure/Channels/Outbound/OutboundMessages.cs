using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Channels.Outbound;

/// <summary>What is stored in an outbound message's payload: the exact content and how it must be sent.</summary>
public sealed record OutboundEnvelope(OutboundContent Content, bool HumanAgentTag)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Serialize() => JsonSerializer.Serialize(this, Json);

    public static OutboundEnvelope? Parse(string? payload) => payload is null ? null : JsonSerializer.Deserialize<OutboundEnvelope>(payload, Json);
}

/// <summary>Raised when free text cannot go because the customer window is closed; the API answers 409.</summary>
public sealed class WindowClosedException(string message, ChannelKind? kind = null) : Exception(message)
{
    /// <summary>Which channel's rule closed it: the sentence shown to people depends on it.</summary>
    public ChannelKind? Kind { get; } = kind;
}

/// <summary>Wakes the outbound dispatchers as soon as a queued message is committed.</summary>
public sealed class OutboundSignal : Events.IDomainEventHandler
{
    public void Handle(IReadOnlyList<IDomainEvent> events)
    {
        if (events.Any(e => e is OutboundMessageQueued)) Notify();
    }

    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    public void Notify() => _signal.Release();

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);
}

/// <summary>
/// Queues messages to customers. A message is a row first (Queued) and is sent by the dispatcher, so nothing is
/// lost if the channel is down and a retry reuses the same row. Checks the channel's limits and the customer
/// window before anything is stored.
/// </summary>
public sealed class OutboundMessages(ContextScopes scopes, TimeProvider clock)
{
    public async Task<Message> QueueAsync(Guid tenantId, Guid conversationId, MessageSender sender, Guid? memberId, OutboundContent content,
        CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        var db = work.Db;
        var conversation = await db.Conversations.SingleOrDefaultAsync(c => c.Id == conversationId, ct)
            ?? throw new DomainException("conversation.not_found", "No such conversation in this workspace.");
        var channel = await db.Channels.SingleAsync(c => c.Id == conversation.ChannelId, ct);
        var message = Stage(db, conversation, channel, sender, memberId, content);
        await db.SaveChangesAsync(ct);
        return message;
    }

    /// <summary>Refuses content the channel would refuse (length, shape), before anything is stored.</summary>
    public static void EnsureValid(ChannelKind kind, OutboundContent content)
    {
        var problems = OutboundValidator.Validate(kind, content);
        if (problems.Count == 0) return;
        var text = string.Join("; ", problems.Select(p => $"{p.Field}: {p.Message}"));
        throw new DomainException("message.invalid", text, text);
    }

    /// <summary>
    /// Adds the message to <paramref name="db"/> without saving, after checking the channel's limits and the customer
    /// window, so a caller can queue replies in the same transaction as its other writes (the agent runner). The
    /// message's <see cref="OutboundMessageQueued"/> wakes the dispatchers and the screens once it commits.
    /// </summary>
    public Message Stage(Data.AppDbContext db, Conversation conversation, Channel channel, MessageSender sender, Guid? memberId,
        OutboundContent content)
    {
        EnsureValid(channel.Kind, content);
        // A disconnected or disabled channel's conversations are kept to read, not to answer.
        if (!channel.IsLive)
            throw new DomainException("channel.inactive", "This conversation's channel is disconnected or disabled: it can be read but not answered.");

        var now = clock.GetUtcNow();
        var humanAgentTag = false;
        if (content.Template is null)
        {
            switch (conversation.CustomerWindowFor(channel.Kind, byPerson: sender == MessageSender.Agent, now))
            {
                case CustomerWindowState.Open: break;
                case CustomerWindowState.HumanAgentTagOnly: humanAgentTag = true; break;
                default: throw new WindowClosedException(WindowClosedText(channel.Kind), channel.Kind);
            }
        }

        var (type, body) = Describe(content);
        var message = Message.Outbound(conversation, sender, memberId, type, body, new OutboundEnvelope(content, humanAgentTag).Serialize(), now);
        db.Messages.Add(message);
        conversation.RecordOutbound(now, body);
        return message;
    }

    public static string WindowClosedText(ChannelKind kind) => kind switch
    {
        ChannelKind.WhatsApp => "The 24-hour window is closed; send a template.",
        ChannelKind.Messenger or ChannelKind.Instagram =>
            "The 24-hour window is closed; only a person can still answer, within 7 days of the customer's last message.",
        _ => "The customer window is closed; wait for the customer to write again.",
    };

    public static (MessageType Type, string? Body) Describe(OutboundContent content) => content switch
    {
        { Text: { } text } => (MessageType.Text, text),
        { Media: { } media } => (media.Kind switch
        {
            "image" => MessageType.Image,
            "video" => MessageType.Video,
            "audio" => MessageType.Audio,
            _ => MessageType.Document,
        }, media.Caption ?? media.FileName),
        { Template: { } template } => (MessageType.Template, $"[{template.Name}] {string.Join(" · ", template.BodyParameters)}".TrimEnd()),
        { Buttons: { } buttons } => (MessageType.Interactive, buttons.Body),
        { List: { } list } => (MessageType.Interactive, list.Body),
        // The address stays visible in the inbox and the simulator, as the customer sees it beside the button.
        { Link: { } link } => (MessageType.Interactive, $"{link.Body}\n{link.Url}"),
        _ => (MessageType.Text, null),
    };
}
