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

    /// <summary>Parses a delivery; throws <see cref="WebhookFormatException"/> when it is not understood at all.</summary>
    public static IReadOnlyList<InboundEvent> Parse(string source, ReadOnlySpan<byte> body) => source switch
    {
        "whatsapp" => WhatsAppWebhookParser.Parse(body),
        "messenger" or "instagram" => MetaMessagingWebhookParser.Parse(body),
        "tiktok" => TikTokWebhookParser.Parse(body),
        _ => throw new WebhookFormatException($"Unknown webhook source '{source}'."),
    };
}
