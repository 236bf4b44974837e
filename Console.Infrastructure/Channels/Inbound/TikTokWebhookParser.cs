using System.Text.Json;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;

namespace OperatorConsole.Infrastructure.Channels.Inbound;

/// <summary>
/// TikTok business direct-message webhooks → channel-neutral events. The format is provisional (channels.md §5), so
/// this reads the documented fields and tolerates the rest. One delivery is one event: a delivery that cannot be
/// understood is a format error (400, kept raw) rather than a silent drop, except read receipts, which are skipped.
/// <para>
/// Payload convention, as for WhatsApp: <c>{"type":"text","text":{"body":"…"}}</c>; any other content type keeps the
/// whole <c>content</c> object (it is <see cref="MessageType.Unsupported"/> until the console renders it).
/// </para>
/// </summary>
public static class TikTokWebhookParser
{
    public static IReadOnlyList<InboundEvent> Parse(ReadOnlySpan<byte> body)
    {
        using var document = WebhookJson.ParseDocument(body, "TikTok");
        var root = document.RootElement;
        if (root.Prop("event") is not { ValueKind: JsonValueKind.String } eventElement || WebhookJson.Text(eventElement) is not { Length: > 0 } eventName)
            throw new WebhookFormatException("TikTok webhook has no event name.");
        if (eventName is not ("im_receive_msg" or "im_send_msg" or "im_mark_read_msg"))
            return [];

        using var contentDocument = ReadContent(root);
        var content = contentDocument.RootElement;
        // user_openid is the account that authorised the app, i.e. the business: a fallback when content omits it.
        var businessOpenId = root.Str("user_openid");
        var fromId = content.Obj("from_user")?.Str("id");
        var toId = content.Obj("to_user")?.Str("id");
        var at = content.UnixMilliseconds("timestamp") ?? root.UnixSeconds("create_time");

        if (eventName == "im_mark_read_msg")
        {
            // The reader is from_user. When that is the business itself (read in TikTok's own inbox) nothing we sent changed.
            if (fromId is null || at is null || fromId == businessOpenId || (toId ?? businessOpenId) is not { } readBusinessId)
                return [];
            return [new InboundWatermark
            {
                Channel = ChannelKind.TikTok, ChannelExternalId = readBusinessId,
                Customer = new CustomerRef(IdentityKind.OpenId, fromId),
                Status = DeliveryStatus.Read, Watermark = at.Value,
                MessageExternalIds = content.Str("message_id") is { } readId ? [readId] : [],
            }];
        }

        var echo = eventName == "im_send_msg";
        var customerId = echo ? toId : fromId;
        var businessId = (echo ? fromId : toId) ?? businessOpenId;
        var messageId = content.Str("message_id");
        if (customerId is null || businessId is null || messageId is null || at is null)
            throw new WebhookFormatException($"TikTok {eventName} content lacks message_id, timestamp, from_user.id or to_user.id.");

        var type = content.Str("type");
        var isText = type == "text" && content.Obj("text") is not null;
        var text = isText ? content.Obj("text")?.Str("body") : null;
        var payload = isText
            ? WebhookJson.WriteObject(w =>
            {
                w.WriteString("type", "text");
                w.WritePropertyName("text");
                content.GetProperty("text").WriteTo(w);
            })
            : WebhookJson.Compact(content);
        var messageType = isText ? MessageType.Text : MessageType.Unsupported;
        var customer = new CustomerRef(IdentityKind.OpenId, customerId);
        var conversationId = content.Str("conversation_id");

        if (echo)
        {
            return [new InboundEcho
            {
                Channel = ChannelKind.TikTok, ChannelExternalId = businessId, ExternalId = messageId, Customer = customer,
                Type = messageType, Text = text, PayloadJson = payload, SentAt = at.Value, ChannelConversationId = conversationId,
            }];
        }
        return [new InboundMessage
        {
            Channel = ChannelKind.TikTok, ChannelExternalId = businessId, ExternalId = messageId, Customer = customer,
            Type = messageType, Text = text, PayloadJson = payload, SentAt = at.Value, ChannelConversationId = conversationId,
        }];
    }

    /// <summary>TikTok nests the event's content as a JSON string; accept an already-nested object too.</summary>
    private static JsonDocument ReadContent(JsonElement root)
    {
        switch (root.Prop("content"))
        {
            case { ValueKind: JsonValueKind.String } s:
                JsonDocument content;
                try
                {
                    content = JsonDocument.Parse(WebhookJson.Text(s)!);
                }
                catch (JsonException ex)
                {
                    throw new WebhookFormatException($"TikTok webhook content is not valid JSON: {ex.Message}", ex);
                }
                if (content.RootElement.ValueKind == JsonValueKind.Object) return content;
                content.Dispose();
                throw new WebhookFormatException("TikTok webhook content is not a JSON object.");
            case { ValueKind: JsonValueKind.Object } o:
                return JsonDocument.Parse(o.GetRawText());
            default:
                throw new WebhookFormatException("TikTok webhook has no content.");
        }
    }
}
