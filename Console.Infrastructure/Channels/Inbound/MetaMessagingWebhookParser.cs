using System.Text.Json;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;

namespace OperatorConsole.Infrastructure.Channels.Inbound;

/// <summary>
/// Messenger (<c>"object":"page"</c>) and Instagram (<c>"object":"instagram"</c>) webhook deliveries → channel-neutral
/// events. Both platforms share the Messenger Platform's <c>entry[].messaging[]</c> shape.
/// <para>
/// Payload convention, as for WhatsApp: <c>{"type":"&lt;wire type&gt;","&lt;wire type&gt;":&lt;object&gt;, …extras}</c>.
/// Wire types here are <c>text</c> (the string), <c>quick_reply</c>, <c>postback</c> and each attachment type, whose
/// object is the attachment's <c>payload</c> (other attachment fields such as <c>title</c> become extras). Extras are
/// <c>referral</c>, an Instagram story <c>reply_to</c>, and for echoes <c>app_id</c>/<c>metadata</c> (which tell which
/// app sent it). Unknown attachment types keep the raw attachment object; a message with nothing recognisable keeps
/// the raw message object.
/// </para>
/// <para>
/// Several attachments in one message become one event each, so every media item has its own <see cref="MediaRef"/>:
/// the first keeps the message's <c>mid</c> (so replies and receipts that name the mid still match), the others are
/// <c>{mid}#1</c>, <c>{mid}#2</c>… The message text, if any, rides on the first.
/// </para>
/// </summary>
public static class MetaMessagingWebhookParser
{
    private sealed record Part(string ExternalId, MessageType Type, string? Text, string PayloadJson, MediaRef? Media);

    private sealed record Account(ChannelKind Channel, IdentityKind Identity, string ExternalId);

    public static IReadOnlyList<InboundEvent> Parse(ReadOnlySpan<byte> body)
    {
        using var document = WebhookJson.ParseDocument(body, "Messenger/Instagram");
        var root = document.RootElement;
        var objectName = root.Str("object");
        var (channel, identity) = objectName switch
        {
            "page" => (ChannelKind.Messenger, IdentityKind.Psid),
            "instagram" => (ChannelKind.Instagram, IdentityKind.Igsid),
            _ => throw new WebhookFormatException(
                $"Messenger/Instagram webhook has object '{objectName ?? "(missing)"}', expected 'page' or 'instagram'."),
        };
        if (root.Prop("entry") is not { ValueKind: JsonValueKind.Array } entries)
            throw new WebhookFormatException("Messenger/Instagram webhook has no entry array.");

        var events = new List<InboundEvent>();
        foreach (var entry in entries.EnumerateArray())
        {
            if (entry.Str("id") is not { } entryId) continue;
            var account = new Account(channel, identity, entryId);
            // "standby" (handover protocol: another app owns the thread) is deliberately not read: those messages are
            // the other app's to answer.
            foreach (var item in entry.Items("messaging"))
                AddUnlessBad(events, item, account);
            // The app dashboard's "Test" button (and some Instagram subscriptions) send a messaging item as a change.
            foreach (var change in entry.Items("changes"))
            {
                if (change.Str("field") == "messages" && change.Obj("value") is { } value)
                    AddUnlessBad(events, value, account);
            }
        }
        return events;
    }

    private static void AddUnlessBad(List<InboundEvent> events, JsonElement item, Account account)
    {
        try
        {
            events.AddRange(ReadItem(item, account));
        }
        catch (Exception ex) when (WebhookJson.IsBadElement(ex))
        {
            // One malformed item must not cost the rest of the batch; the raw delivery is kept by the endpoint.
        }
    }

    private static IReadOnlyList<InboundEvent> ReadItem(JsonElement item, Account account)
    {
        var senderId = item.Obj("sender")?.Str("id");
        var recipientId = item.Obj("recipient")?.Str("id");
        if (Timestamp(item, "timestamp") is not { } at) return [];

        if (item.Obj("message") is { } message)
        {
            if (message.Str("mid") is not { } mid) return [];
            // The echo's sender is our own page/account: the customer is whoever it was sent to.
            var customerId = message.Bool("is_echo") ? recipientId : senderId;
            if (customerId is null) return [];
            var customer = new CustomerRef(account.Identity, customerId);

            if (message.Bool("is_deleted"))
            {
                return [new InboundDeletion
                {
                    Channel = account.Channel, ChannelExternalId = account.ExternalId, MessageExternalId = mid, Customer = customer, At = at,
                }];
            }

            var echo = message.Bool("is_echo");
            var parts = ReadParts(message, mid, echo);
            if (echo)
            {
                // Our sends carry our message id as metadata (another tool's may carry anything, or nothing).
                Guid? ours = Guid.TryParseExact(message.Str("metadata"), "N", out var id) ? id : null;
                return parts.Select(p => (InboundEvent)new InboundEcho
                {
                    Channel = account.Channel, ChannelExternalId = account.ExternalId, ExternalId = p.ExternalId, Customer = customer,
                    Type = p.Type, Text = p.Text, PayloadJson = p.PayloadJson, SentAt = at, OurMessageId = ours,
                }).ToList();
            }
            var referral = message.Obj("referral") ?? item.Obj("referral");
            return parts.Select(p => (InboundEvent)new InboundMessage
            {
                Channel = account.Channel, ChannelExternalId = account.ExternalId, ExternalId = p.ExternalId, Customer = customer,
                Type = p.Type, Text = p.Text, PayloadJson = p.PayloadJson, Media = p.Media, SentAt = at,
                ReplyToExternalId = message.Obj("reply_to")?.Str("mid"),
                FromAd = IsAd(referral),
            }).ToList();
        }

        if (senderId is null) return [];
        var sender = new CustomerRef(account.Identity, senderId);

        if (item.Obj("postback") is { } postback)
        {
            return [new InboundMessage
            {
                Channel = account.Channel, ChannelExternalId = account.ExternalId,
                // Older Messenger postbacks carry no mid; sender + timestamp is stable across Meta's retries.
                ExternalId = postback.Str("mid") ?? $"postback:{senderId}:{at.ToUnixTimeMilliseconds()}",
                Customer = sender, Type = MessageType.Button,
                Text = postback.Str("title") ?? postback.Str("payload"),
                PayloadJson = Payload("postback", w => postback.WriteTo(w)),
                SentAt = at,
                FromAd = IsAd(postback.Obj("referral")),
            }];
        }

        if (item.Obj("delivery") is { } delivery)
        {
            return [new InboundWatermark
            {
                Channel = account.Channel, ChannelExternalId = account.ExternalId, Customer = sender, Status = DeliveryStatus.Delivered,
                Watermark = Timestamp(delivery, "watermark") ?? at,
                MessageExternalIds = delivery.Items("mids").Select(WebhookJson.AsString).OfType<string>().ToList(),
            }];
        }

        if (item.Obj("read") is { } read)
        {
            // Messenger reads carry a watermark; Instagram names the one message read (read.mid) instead.
            return [new InboundWatermark
            {
                Channel = account.Channel, ChannelExternalId = account.ExternalId, Customer = sender, Status = DeliveryStatus.Read,
                Watermark = Timestamp(read, "watermark") ?? at,
                MessageExternalIds = read.Str("mid") is { } readMid ? [readMid] : [],
            }];
        }

        if (item.Obj("reaction") is { } reaction && reaction.Str("mid") is { } target)
        {
            var removed = reaction.Str("action") == "unreact";
            return [new InboundReaction
            {
                Channel = account.Channel, ChannelExternalId = account.ExternalId,
                // Reactions have no id of their own; this one is stable across retries of the same delivery.
                ExternalId = $"reaction:{senderId}:{target}:{at.ToUnixTimeMilliseconds()}",
                Customer = sender, TargetExternalId = target,
                // Messenger names the reaction ("love") and sends the emoji; keep the emoji, fall back to the name.
                Emoji = removed ? null : reaction.Str("emoji") ?? reaction.Str("reaction"),
                At = at,
            }];
        }

        // optin, referral-only, handover, message_edit, policy notices…: nothing the console records yet.
        return [];
    }

    private static List<Part> ReadParts(JsonElement message, string mid, bool echo)
    {
        var text = message.Str("text");
        if (message.Bool("is_unsupported"))
            return [new(mid, MessageType.Unsupported, text, WebhookJson.Compact(message), null)];

        void Extras(Utf8JsonWriter w)
        {
            WebhookJson.CopyProperties(w, message, "referral");
            if (message.Obj("reply_to") is { } replyTo && replyTo.Prop("story") is not null)
                WebhookJson.CopyProperties(w, message, "reply_to");
            if (echo) WebhookJson.CopyProperties(w, message, "app_id", "metadata");
        }

        var attachments = message.Items("attachments").Where(a => a.ValueKind == JsonValueKind.Object).ToList();
        if (attachments.Count == 0)
        {
            if (message.Obj("quick_reply") is { } quickReply)
                return [new(mid, MessageType.Button, text, Payload("quick_reply", w => quickReply.WriteTo(w), Extras), null)];
            if (text is not null)
                return [new(mid, MessageType.Text, text, Payload("text", w => w.WriteStringValue(text), Extras), null)];
            return [new(mid, MessageType.Unsupported, null, WebhookJson.Compact(message), null)];
        }

        var parts = new List<Part>(attachments.Count);
        for (var i = 0; i < attachments.Count; i++)
        {
            var attachment = attachments[i];
            var externalId = i == 0 ? mid : $"{mid}#{i}";
            var partText = i == 0 ? text : null;
            var type = attachment.Str("type");
            var content = attachment.Obj("payload");
            var messageType = AttachmentType(type, content);
            if (type is null || messageType == MessageType.Unsupported)
            {
                parts.Add(new(externalId, MessageType.Unsupported, partText, WebhookJson.Compact(attachment), null));
                continue;
            }

            var media = messageType is MessageType.Image or MessageType.Video or MessageType.Audio or MessageType.Document or MessageType.Sticker
                ? new MediaRef(null, content?.Str("url"), null, null, null)
                : null;
            partText ??= messageType switch
            {
                // A shared link arrives as a "fallback" attachment; its title/url is the readable part.
                MessageType.Text => content?.Str("title") ?? content?.Str("url"),
                MessageType.Location => attachment.Str("title"),
                _ => null,
            };
            var payload = Payload(type, w =>
            {
                if (content is { } c) c.WriteTo(w);
                else w.WriteNullValue();
            }, w =>
            {
                foreach (var property in attachment.EnumerateObject())
                {
                    if (property.Name is not ("type" or "payload")) property.WriteTo(w);
                }
                Extras(w);
            });
            parts.Add(new(externalId, messageType, partText, payload, media));
        }
        return parts;
    }

    private static MessageType AttachmentType(string? type, JsonElement? content) => type switch
    {
        // Messenger stickers (including the thumbs-up "like") are image attachments with a sticker_id.
        "image" when content?.Prop("sticker_id") is not null => MessageType.Sticker,
        "image" => MessageType.Image,
        "video" => MessageType.Video,
        "audio" => MessageType.Audio,
        "file" => MessageType.Document,
        "location" => MessageType.Location,
        "fallback" => MessageType.Text,
        // Echoes of structured messages we (or another tool) sent.
        "template" => MessageType.Template,
        _ => MessageType.Unsupported,
    };

    private static bool IsAd(JsonElement? referral) =>
        referral is { } r && string.Equals(r.Str("source"), "ADS", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Epoch milliseconds, as a number or a string. The app dashboard's test deliveries send epoch seconds instead;
    /// a value below 10^11 (1973 in ms, 5138 in s) can only be seconds.
    /// </summary>
    private static DateTimeOffset? Timestamp(JsonElement element, string name)
    {
        var ms = element.UnixMilliseconds(name);
        return ms is { } value && value.ToUnixTimeMilliseconds() < 100_000_000_000 ? element.UnixSeconds(name) : ms;
    }

    private static string Payload(string type, Action<Utf8JsonWriter> writeBody, Action<Utf8JsonWriter>? writeExtras = null) =>
        WebhookJson.WriteObject(w =>
        {
            w.WriteString("type", type);
            w.WritePropertyName(type);
            writeBody(w);
            writeExtras?.Invoke(w);
        });
}
