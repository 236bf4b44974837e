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
            return source switch
            {
                "whatsapp" => WhatsAppWebhookParser.Parse(body),
                "messenger" or "instagram" => MetaMessagingWebhookParser.Parse(body),
                "tiktok" => TikTokWebhookParser.Parse(body),
                _ => throw new WebhookFormatException($"Unknown webhook source '{source}'."),
            };
        }
        catch (Exception ex) when (ex is not WebhookFormatException && WebhookJson.IsBadElement(ex))
        {
            throw new WebhookFormatException($"{source} webhook has a shape the parser cannot read: {ex.Message}", ex);
        }
    }
}
