// TEMPORARY: replaced by the real parsers from branch 'inbound' before merge.
namespace OperatorConsole.Infrastructure.Channels.Inbound;

public static class WhatsAppWebhookParser
{
    public static IReadOnlyList<InboundEvent> Parse(ReadOnlySpan<byte> body) => throw new NotImplementedException();
}

public static class MetaMessagingWebhookParser
{
    public static IReadOnlyList<InboundEvent> Parse(ReadOnlySpan<byte> body) => throw new NotImplementedException();
}

public static class TikTokWebhookParser
{
    public static IReadOnlyList<InboundEvent> Parse(ReadOnlySpan<byte> body) => throw new NotImplementedException();
}
