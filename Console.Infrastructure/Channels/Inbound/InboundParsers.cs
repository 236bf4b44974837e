using OperatorConsole.Domain.Channels;

namespace OperatorConsole.Infrastructure.Channels.Inbound;

/// <summary>The webhook sources and their parsers, in one place.</summary>
public static class InboundParsers
{
    public static readonly IReadOnlyDictionary<string, ChannelKind> Sources = new Dictionary<string, ChannelKind>
    {
        ["whatsapp"] = ChannelKind.WhatsApp,
        ["messenger"] = ChannelKind.Messenger,
        ["instagram"] = ChannelKind.Instagram,
        ["tiktok"] = ChannelKind.TikTok,
    };

    public static string SourceOf(ChannelKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>
    /// Parses a delivery; throws <see cref="WebhookFormatException"/> when it is not understood at all, and nothing else:
    /// a shape a parser did not expect outside its per-item guards (a string it cannot decode where the envelope names
    /// the account, say) is a format error of the delivery, answered 400 and kept for replay, never a 500.
    /// </summary>
    public static IReadOnlyList<InboundEvent> Parse(string source, ReadOnlySpan<byte> body)
    {
        try
        {
            var events = source switch
            {
                "whatsapp" => WhatsAppWebhookParser.Parse(body),
                "messenger" or "instagram" => MetaMessagingWebhookParser.Parse(body),
                "tiktok" => TikTokWebhookParser.Parse(body),
                _ => throw new WebhookFormatException($"Unknown webhook source '{source}'."),
            };
            return events.All(Fits) ? events : events.Where(Fits).ToList();
        }
        catch (Exception ex) when (ex is not WebhookFormatException && WebhookJson.IsBadElement(ex))
        {
            throw new WebhookFormatException($"{source} webhook has a shape the parser cannot read: {ex.Message}", ex);
        }
    }

    // The longest ids the channels send are far below these (the columns they are stored in); longer is not a real
    // delivery. Such an event is dropped like any other malformed element (the raw delivery is kept), rather than failing
    // the whole batch at the database and sending the good events of it to failed work.
    private const int ChannelIdMax = 64, MessageIdMax = 256, CustomerIdMax = 128, CodeMax = 20;

    private static bool Fits(InboundEvent e) => e.ChannelExternalId.Length <= ChannelIdMax && e switch
    {
        InboundMessage m => m.ExternalId.Length <= MessageIdMax && Fits(m.Customer) && (m.ReplyToExternalId?.Length ?? 0) <= MessageIdMax
            && (m.ChannelConversationId?.Length ?? 0) <= MessageIdMax,
        InboundEcho m => m.ExternalId.Length <= MessageIdMax && Fits(m.Customer) && (m.ChannelConversationId?.Length ?? 0) <= MessageIdMax,
        InboundStatus st => st.MessageExternalId.Length <= MessageIdMax && (st.ErrorCode?.Length ?? 0) <= CodeMax
            && (st.RecipientId?.Length ?? 0) <= CustomerIdMax,
        InboundWatermark w => Fits(w.Customer) && w.MessageExternalIds.All(id => id.Length <= MessageIdMax),
        InboundReaction r => r.ExternalId.Length <= MessageIdMax && r.TargetExternalId.Length <= MessageIdMax && Fits(r.Customer),
        InboundDeletion d => d.MessageExternalId.Length <= MessageIdMax && Fits(d.Customer),
        _ => true,
    };

    private static bool Fits(CustomerRef c) => c.Id.Length <= CustomerIdMax && (c.AlsoKnownAs?.Id.Length ?? 0) <= CustomerIdMax;
}
