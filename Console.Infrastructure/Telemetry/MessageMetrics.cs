using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Events;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Telemetry;

/// <summary>
/// Counts messages once they are committed (<c>console.messages</c> {direction, channel}): a customer's message, a reply
/// queued by a person, the bot or the API, and an echo of a reply sent from another app. Rolled-back writes announce
/// nothing, so a retried webhook batch is not counted twice. A channel's kind never changes, so it is remembered; the
/// first message of an unknown channel is counted once its kind is read (the handler must not block the commit).
/// </summary>
public sealed class MessageMetrics(ConsoleTelemetry telemetry, ContextScopes scopes, ILogger<MessageMetrics> log) : IDomainEventHandler
{
    public const string Inbound = "inbound", Outbound = "outbound";

    private readonly ConcurrentDictionary<Guid, string> _kinds = new();

    public void Handle(IReadOnlyList<IDomainEvent> events)
    {
        List<(string Direction, Guid ChannelId)>? unknown = null;
        foreach (var e in events)
        {
            var (direction, channelId) = e switch
            {
                MessageReceived m => (Inbound, m.ChannelId),
                OutboundMessageQueued m => (Outbound, m.ChannelId),
                MessageEchoed m => (Outbound, m.ChannelId),
                _ => (null, Guid.Empty),
            };
            if (direction is null) continue;
            if (_kinds.TryGetValue(channelId, out var kind)) telemetry.MessageStored(direction, kind);
            else (unknown ??= []).Add((direction, channelId));
        }
        if (unknown is not null) _ = CountLaterAsync(unknown);
    }

    private async Task CountLaterAsync(List<(string Direction, Guid ChannelId)> messages)
    {
        try
        {
            var ids = messages.Select(m => m.ChannelId).Distinct().ToList();
            await using (var work = scopes.ForSystem("message metrics: channel kinds"))
            {
                foreach (var c in await work.Db.Channels.AsNoTracking().Where(c => ids.Contains(c.Id)).Select(c => new { c.Id, c.Kind }).ToListAsync())
                    _kinds[c.Id] = ChannelTag(c.Kind);
            }
            foreach (var (direction, channelId) in messages) telemetry.MessageStored(direction, _kinds.GetValueOrDefault(channelId, "unknown"));
        }
        catch (Exception ex)
        {
            log.LogWarning(ex, "Could not count {Count} messages by channel", messages.Count);
        }
    }

    /// <summary>The channel tag of every instrument: the kind in lower case, as in the webhook URLs (whatsapp, messenger, …).</summary>
    public static string ChannelTag(Domain.Channels.ChannelKind kind) => kind.ToString().ToLowerInvariant();
}
