using System.Text.Json.Nodes;

namespace OperatorConsole.Tests.Channels.Inbound;

/// <summary>
/// Webhook bodies shaped after channels.md (§1, §4, §5), built with parameters so parser tests and endpoint tests can
/// make deliveries that belong to their own channel accounts. Every builder returns fresh nodes/strings.
/// </summary>
public static class InboundPayloads
{
    public const string PhoneNumberId = "106540352242922";
    public const string WaId = "5215512345678";
    public const string Bsuid = "MX.1349120865530274";

    /// <summary>WhatsApp timestamps are epoch seconds: 2025-06-08T20:59:43Z.</summary>
    public const long Timestamp = 1749416383;

    public const string PageId = "104857600000001";
    public const string Psid = "7000000000000001";
    public const string IgAccountId = "17841400000000001";
    public const string Igsid = "6000000000000001";

    /// <summary>Messenger/Instagram/TikTok timestamps are epoch milliseconds: 2016-03-23T00:25:52.478Z.</summary>
    public const long TimestampMs = 1458692752478;

    public const string TikTokBusinessId = "biz-7001";
    public const string TikTokOpenId = "u-openid-1";

    // ---- WhatsApp Cloud API ------------------------------------------------------------------------------------

    /// <summary>A delivery with one text message from one customer.</summary>
    public static string WhatsAppText(string phoneNumberId = PhoneNumberId, string? waId = WaId, string wamid = "wamid.A1",
        string text = "hola", long timestamp = Timestamp, string? userId = null, string? profileName = "Ana") =>
        WhatsAppDelivery(WhatsAppValue(phoneNumberId,
            contacts: [WhatsAppContact(waId, userId, profileName)],
            messages: [WhatsAppMessage("text", new JsonObject { ["body"] = text }, wamid, waId, timestamp, userId)]));

    /// <summary>A delivery with one status for a message the business sent.</summary>
    public static string WhatsAppStatus(string phoneNumberId = PhoneNumberId, string wamid = "wamid.OUT1", string status = "delivered",
        long timestamp = Timestamp, string? recipientId = WaId) =>
        WhatsAppDelivery(WhatsAppValue(phoneNumberId, statuses: [WhatsAppStatusItem(wamid, status, timestamp, recipientId)]));

    /// <summary>The envelope: one entry with one <c>messages</c> change per value.</summary>
    public static string WhatsAppDelivery(params JsonObject[] values) => new JsonObject
    {
        ["object"] = "whatsapp_business_account",
        ["entry"] = new JsonArray(new JsonObject
        {
            ["id"] = "102290129340398",
            ["changes"] = new JsonArray(values.Select(v => (JsonNode)new JsonObject { ["field"] = "messages", ["value"] = v }).ToArray()),
        }),
    }.ToJsonString();

    public static JsonObject WhatsAppValue(string phoneNumberId = PhoneNumberId, IEnumerable<JsonNode>? contacts = null,
        IEnumerable<JsonNode>? messages = null, IEnumerable<JsonNode>? statuses = null, IEnumerable<JsonNode>? errors = null)
    {
        var value = new JsonObject
        {
            ["messaging_product"] = "whatsapp",
            ["metadata"] = new JsonObject { ["display_phone_number"] = "15550783881", ["phone_number_id"] = phoneNumberId },
        };
        if (contacts is not null) value["contacts"] = new JsonArray(contacts.ToArray());
        if (messages is not null) value["messages"] = new JsonArray(messages.ToArray());
        if (statuses is not null) value["statuses"] = new JsonArray(statuses.ToArray());
        if (errors is not null) value["errors"] = new JsonArray(errors.ToArray());
        return value;
    }

    public static JsonObject WhatsAppContact(string? waId = WaId, string? userId = null, string? name = "Ana")
    {
        var contact = new JsonObject();
        if (name is not null) contact["profile"] = new JsonObject { ["name"] = name };
        if (waId is not null) contact["wa_id"] = waId;
        if (userId is not null) contact["user_id"] = userId;
        return contact;
    }

    /// <summary>One <c>messages[]</c> item; <paramref name="typeObject"/> goes under the key named by <paramref name="type"/>.</summary>
    public static JsonObject WhatsAppMessage(string type, JsonNode? typeObject, string wamid = "wamid.A1", string? from = WaId,
        long timestamp = Timestamp, string? fromUserId = null)
    {
        var message = new JsonObject();
        if (from is not null) message["from"] = from;
        if (fromUserId is not null) message["from_user_id"] = fromUserId;
        message["id"] = wamid;
        message["timestamp"] = timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture);
        message["type"] = type;
        if (typeObject is not null) message[type] = typeObject;
        return message;
    }

    public static JsonObject WhatsAppStatusItem(string wamid = "wamid.OUT1", string status = "delivered", long timestamp = Timestamp,
        string? recipientId = WaId)
    {
        var item = new JsonObject
        {
            ["id"] = wamid,
            ["status"] = status,
            ["timestamp"] = timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (recipientId is not null) item["recipient_id"] = recipientId;
        if (status != "failed")
        {
            item["conversation"] = new JsonObject { ["id"] = "c1", ["origin"] = new JsonObject { ["type"] = "service" } };
            item["pricing"] = new JsonObject { ["pricing_model"] = "PMP", ["category"] = "service" };
        }
        return item;
    }

    // ---- Messenger and Instagram -------------------------------------------------------------------------------

    public static string MessengerText(string pageId = PageId, string psid = Psid, string mid = "m_1", string text = "hola",
        long timestampMs = TimestampMs) =>
        MetaDelivery("page", pageId, MetaItem(psid, pageId, timestampMs, "message", new JsonObject { ["mid"] = mid, ["text"] = text }));

    public static string InstagramText(string igAccountId = IgAccountId, string igsid = Igsid, string mid = "ig_m_1", string text = "hola",
        long timestampMs = TimestampMs) =>
        MetaDelivery("instagram", igAccountId,
            MetaItem(igsid, igAccountId, timestampMs, "message", new JsonObject { ["mid"] = mid, ["text"] = text }));

    /// <summary>The page's own send echoed back: the sender is the page, the customer is the recipient.</summary>
    public static string MessengerEcho(string pageId = PageId, string psid = Psid, string mid = "m_echo_1", string text = "te ayudo",
        long timestampMs = TimestampMs, string appId = "263902037430900") =>
        MetaDelivery("page", pageId, MetaItem(pageId, psid, timestampMs, "message", new JsonObject
        {
            ["is_echo"] = true,
            ["app_id"] = long.Parse(appId, System.Globalization.CultureInfo.InvariantCulture),
            ["mid"] = mid,
            ["text"] = text,
        }));

    /// <summary>The envelope for <c>"object":"page"</c> or <c>"instagram"</c> with one entry.</summary>
    public static string MetaDelivery(string objectName, string entryId, params JsonObject[] messagingItems) => new JsonObject
    {
        ["object"] = objectName,
        ["entry"] = new JsonArray(MetaEntry(entryId, messagingItems)),
    }.ToJsonString();

    public static JsonObject MetaEntry(string entryId, params JsonObject[] messagingItems) => new()
    {
        ["id"] = entryId,
        ["time"] = TimestampMs,
        ["messaging"] = new JsonArray(messagingItems.Select(i => (JsonNode)i).ToArray()),
    };

    /// <summary>One <c>messaging[]</c> item: sender, recipient, timestamp and one event (<c>message</c>, <c>read</c>…).</summary>
    public static JsonObject MetaItem(string senderId, string recipientId, long timestampMs, string eventKey, JsonNode eventValue) => new()
    {
        ["sender"] = new JsonObject { ["id"] = senderId },
        ["recipient"] = new JsonObject { ["id"] = recipientId },
        ["timestamp"] = timestampMs,
        [eventKey] = eventValue,
    };

    // ---- TikTok ------------------------------------------------------------------------------------------------

    /// <summary>The customer wrote to the business (<c>im_receive_msg</c>).</summary>
    public static string TikTokText(string businessId = TikTokBusinessId, string openId = TikTokOpenId, string messageId = "tt_m1",
        string text = "Hola", long timestampMs = TimestampMs, string conversationId = "conv-1") =>
        TikTokEvent("im_receive_msg", TikTokContent("text", new JsonObject { ["body"] = text }, messageId, openId, businessId, timestampMs, conversationId),
            userOpenId: businessId);

    /// <summary>The business wrote to the customer, echoed back (<c>im_send_msg</c>).</summary>
    public static string TikTokEcho(string businessId = TikTokBusinessId, string openId = TikTokOpenId, string messageId = "tt_out1",
        string text = "Gracias", long timestampMs = TimestampMs, string conversationId = "conv-1") =>
        TikTokEvent("im_send_msg", TikTokContent("text", new JsonObject { ["body"] = text }, messageId, businessId, openId, timestampMs, conversationId),
            userOpenId: businessId);

    /// <summary>The envelope; <c>content</c> is serialized into a string, as TikTok sends it.</summary>
    public static string TikTokEvent(string eventName, JsonObject content, string? userOpenId = TikTokBusinessId, long createTime = 1458692752) =>
        new JsonObject
        {
            ["client_key"] = "aw0000000000",
            ["event"] = eventName,
            ["create_time"] = createTime,
            ["user_openid"] = userOpenId,
            ["content"] = content.ToJsonString(),
        }.ToJsonString();

    public static JsonObject TikTokContent(string type, JsonNode? typeObject, string messageId, string fromId, string toId,
        long timestampMs = TimestampMs, string conversationId = "conv-1")
    {
        var content = new JsonObject
        {
            ["type"] = type,
            ["message_id"] = messageId,
            ["timestamp"] = timestampMs,
            ["conversation_id"] = conversationId,
        };
        if (typeObject is not null) content[type] = typeObject;
        content["from_user"] = new JsonObject { ["id"] = fromId };
        content["to_user"] = new JsonObject { ["id"] = toId };
        return content;
    }
}
