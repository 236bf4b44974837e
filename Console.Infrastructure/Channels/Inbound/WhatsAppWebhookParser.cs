using System.Globalization;
using System.Text.Json;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;

namespace OperatorConsole.Infrastructure.Channels.Inbound;

/// <summary>
/// WhatsApp Cloud API webhook deliveries → channel-neutral events.
/// <para>
/// Payload convention (shared by all inbound parsers): <see cref="InboundMessage.PayloadJson"/> is a compact object
/// <c>{"type":"&lt;wire type&gt;","&lt;wire type&gt;":&lt;the type's object as received&gt;, …extras}</c>, e.g.
/// <c>{"type":"image","image":{"id":"…","mime_type":"image/jpeg"},"context":{"forwarded":true}}</c>. Extras are the
/// message's <c>context</c>, <c>referral</c> and <c>errors</c> when present. Ids, sender and timestamp are never repeated
/// (they have their own fields). A type the parser does not know, or a known type whose object is malformed, becomes
/// <see cref="MessageType.Unsupported"/> with the whole raw message object as payload, so nothing is lost.
/// </para>
/// </summary>
public static class WhatsAppWebhookParser
{
    private const string Channel = "WhatsApp";

    private sealed record Content(MessageType Type, string? Text, string PayloadJson, MediaRef? Media = null);

    public static IReadOnlyList<InboundEvent> Parse(ReadOnlySpan<byte> body)
    {
        using var document = WebhookJson.ParseDocument(body, Channel);
        var root = document.RootElement;
        var objectName = root.Str("object");
        if (objectName != "whatsapp_business_account")
            throw new WebhookFormatException($"WhatsApp webhook has object '{objectName ?? "(missing)"}', expected 'whatsapp_business_account'.");
        if (root.Prop("entry") is not { ValueKind: JsonValueKind.Array } entries)
            throw new WebhookFormatException("WhatsApp webhook has no entry array.");

        var events = new List<InboundEvent>();
        foreach (var entry in entries.EnumerateArray())
        {
            foreach (var change in entry.Items("changes"))
            {
                // Template reviews arrive on the WABA (entry.id), with no phone number: routed by the WABA id instead.
                if (change.Str("field") == "message_template_status_update" && change.Obj("value") is { } review && entry.Str("id") is { } wabaId)
                {
                    AddUnlessBad(events, () => ReadTemplateStatus(review, wabaId));
                    continue;
                }
                // The same app subscription also delivers account_update and others; not ours.
                if (change.Str("field") != "messages" || change.Obj("value") is not { } value) continue;
                // Without the phone number the events cannot be routed to a tenant; other changes may still be fine.
                if (value.Obj("metadata")?.Str("phone_number_id") is not { } phoneNumberId) continue;
                ReadValue(value, phoneNumberId, events);
            }
        }
        return events;
    }

    private static void ReadValue(JsonElement value, string phoneNumberId, List<InboundEvent> events)
    {
        var contacts = value.Items("contacts").Where(c => c.ValueKind == JsonValueKind.Object).ToList();
        var hasMessages = false;
        foreach (var message in value.Items("messages"))
        {
            hasMessages = true;
            AddUnlessBad(events, () => ReadMessage(message, contacts, phoneNumberId));
        }
        foreach (var status in value.Items("statuses"))
            AddUnlessBad(events, () => ReadStatus(status, phoneNumberId));
        // Errors next to messages belong to those messages (and travel in their payload); alone they are the channel's.
        if (!hasMessages)
        {
            foreach (var error in value.Items("errors"))
                AddUnlessBad(events, () => ReadChannelError(error, phoneNumberId));
        }
    }

    private static InboundTemplateStatus? ReadTemplateStatus(JsonElement value, string wabaId) =>
        value.Str("event") is not { } status ? null : new InboundTemplateStatus
        {
            Channel = ChannelKind.WhatsApp,
            ChannelExternalId = wabaId,
            TemplateId = value.Str("message_template_id"),
            Name = value.Str("message_template_name"),
            Language = value.Str("message_template_language"),
            Status = status,
            Reason = value.Str("reason"),
        };

    private static void AddUnlessBad(List<InboundEvent> events, Func<InboundEvent?> read)
    {
        try
        {
            if (read() is { } e) events.Add(e);
        }
        catch (Exception ex) when (WebhookJson.IsBadElement(ex))
        {
            // One malformed element must not cost the rest of the batch; the raw delivery is kept by the endpoint.
        }
    }

    private static InboundEvent? ReadMessage(JsonElement message, IReadOnlyList<JsonElement> contacts, string phoneNumberId)
    {
        var id = message.Str("id");
        var sentAt = message.UnixSeconds("timestamp");
        var customer = ReadCustomer(message, contacts);
        // No id = nothing to deduplicate retries on; no customer = nowhere to file it. Neither can be stored honestly.
        if (id is null || sentAt is null || customer is null) return null;

        var type = message.Str("type");
        if (type == "reaction" && message.Obj("reaction") is { } reaction && reaction.Str("message_id") is { } target)
        {
            return new InboundReaction
            {
                Channel = ChannelKind.WhatsApp,
                ChannelExternalId = phoneNumberId,
                ExternalId = id,
                Customer = customer,
                TargetExternalId = target,
                // Meta removes a reaction by sending the same shape with the emoji empty or left out.
                Emoji = reaction.Str("emoji"),
                At = sentAt.Value,
            };
        }

        Content? content;
        try
        {
            content = type is null ? null : ReadContent(type, message);
        }
        catch (Exception ex) when (WebhookJson.IsBadElement(ex))
        {
            content = null;
        }
        content ??= new Content(MessageType.Unsupported, null, WebhookJson.Compact(message));

        return new InboundMessage
        {
            Channel = ChannelKind.WhatsApp,
            ChannelExternalId = phoneNumberId,
            ExternalId = id,
            Customer = customer,
            Type = content.Type,
            Text = content.Text,
            PayloadJson = content.PayloadJson,
            Media = content.Media,
            SentAt = sentAt.Value,
            ReplyToExternalId = message.Obj("context")?.Str("id"),
            FromAd = message.Obj("referral") is not null,
        };
    }

    /// <summary>
    /// BSUID first: since the 2026 usernames a customer may have no phone number at all, and a phone number can
    /// change hands while the BSUID stays with the person. The wa_id rides along so older contacts still match.
    /// </summary>
    private static CustomerRef? ReadCustomer(JsonElement message, IReadOnlyList<JsonElement> contacts)
    {
        var waId = message.Str("from");
        var userId = message.Str("from_user_id");
        var contact = contacts.FirstOrDefault(c =>
            (waId is not null && c.Str("wa_id") == waId) || (userId is not null && c.Str("user_id") == userId));
        if (contact.ValueKind == JsonValueKind.Undefined && waId is null && userId is null && contacts.Count == 1)
            contact = contacts[0];

        waId ??= contact.Str("wa_id");
        userId ??= contact.Str("user_id");
        var name = contact.Obj("profile")?.Str("name");

        if (userId is not null)
            return new CustomerRef(IdentityKind.Bsuid, userId, name, waId is null ? null : new CustomerAlias(IdentityKind.WaId, waId));
        return waId is null ? null : new CustomerRef(IdentityKind.WaId, waId, name);
    }

    private static Content? ReadContent(string type, JsonElement message)
    {
        switch (type)
        {
            case "text":
                return message.Obj("text") is { } text ? new(MessageType.Text, text.Str("body"), Payload(type, message)) : null;

            case "image" or "video" or "audio" or "document" or "sticker":
                if (message.Obj(type) is not { } media) return null;
                var mediaRef = new MediaRef(media.Str("id"), media.Str("url"), media.Str("mime_type"), media.Str("sha256"), media.Str("filename"));
                return new(MediaType(type), media.Str("caption"), Payload(type, message), mediaRef);

            case "location":
                if (message.Obj("location") is not { } location) return null;
                return new(MessageType.Location, location.Str("name") ?? location.Str("address"),
                    Payload(type, message, w => WriteLocation(w, location)));

            case "contacts":
                if (message.Prop("contacts") is not { ValueKind: JsonValueKind.Array } cards) return null;
                var names = cards.EnumerateArray().Select(c => c.Obj("name")?.Str("formatted_name")).OfType<string>().ToList();
                return new(MessageType.Contacts, names.Count == 0 ? null : string.Join(", ", names), Payload(type, message));

            case "interactive":
                if (message.Obj("interactive") is not { } interactive) return null;
                var kind = interactive.Str("type");
                var reply = kind is null ? null : interactive.Obj(kind);
                var title = kind == "nfm_reply" ? reply?.Str("body") : reply?.Str("title");
                return new(MessageType.Interactive, title, Payload(type, message, w => WriteInteractive(w, interactive)));

            case "button":
                // Template quick-reply tap: text is what the customer saw, payload is what the template author set.
                return message.Obj("button") is { } button
                    ? new(MessageType.Button, button.Str("text") ?? button.Str("payload"), Payload(type, message))
                    : null;

            case "order":
                return message.Obj("order") is { } order ? new(MessageType.Order, order.Str("text"), Payload(type, message)) : null;

            case "system":
                return message.Obj("system") is { } system ? new(MessageType.System, system.Str("body"), Payload(type, message)) : null;

            case "unsupported":
                return message.Obj("unsupported") is not null ? new(MessageType.Unsupported, null, Payload(type, message)) : null;

            default:
                return null;
        }
    }

    private static MessageType MediaType(string type) => type switch
    {
        "image" => MessageType.Image,
        "video" => MessageType.Video,
        "audio" => MessageType.Audio,
        "document" => MessageType.Document,
        _ => MessageType.Sticker,
    };

    private static string Payload(string type, JsonElement message, Action<Utf8JsonWriter>? writeBody = null) =>
        WebhookJson.WriteObject(w =>
        {
            w.WriteString("type", type);
            w.WritePropertyName(type);
            if (writeBody is not null) writeBody(w);
            else message.GetProperty(type).WriteTo(w);
            WebhookJson.CopyProperties(w, message, "context", "referral", "errors");
        });

    /// <summary>Coordinates arrive as numbers or as numeric strings; store numbers so readers need one path.</summary>
    private static void WriteLocation(Utf8JsonWriter writer, JsonElement location)
    {
        writer.WriteStartObject();
        foreach (var property in location.EnumerateObject())
        {
            if (property.Name is "latitude" or "longitude" && property.Value.ValueKind == JsonValueKind.String
                && decimal.TryParse(property.Value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var coordinate))
                writer.WriteNumber(property.Name, coordinate);
            else
                property.WriteTo(writer);
        }
        writer.WriteEndObject();
    }

    /// <summary>nfm_reply.response_json is JSON serialized into a string; keep it as JSON when it is valid.</summary>
    private static void WriteInteractive(Utf8JsonWriter writer, JsonElement interactive)
    {
        writer.WriteStartObject();
        foreach (var property in interactive.EnumerateObject())
        {
            if (property.Name != "nfm_reply" || property.Value.ValueKind != JsonValueKind.Object)
            {
                property.WriteTo(writer);
                continue;
            }
            writer.WriteStartObject(property.Name);
            foreach (var field in property.Value.EnumerateObject())
            {
                if (field.Name == "response_json" && field.Value.ValueKind == JsonValueKind.String && TryParse(field.Value.GetString()) is { } parsed)
                {
                    using (parsed)
                    {
                        writer.WritePropertyName(field.Name);
                        parsed.RootElement.WriteTo(writer);
                    }
                }
                else
                {
                    field.WriteTo(writer);
                }
            }
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    private static JsonDocument? TryParse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return null;
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static InboundStatus? ReadStatus(JsonElement status, string phoneNumberId)
    {
        var id = status.Str("id");
        var at = status.UnixSeconds("timestamp");
        DeliveryStatus? value = status.Str("status")?.ToLowerInvariant() switch
        {
            "sent" => DeliveryStatus.Sent,
            "delivered" => DeliveryStatus.Delivered,
            "read" => DeliveryStatus.Read,
            "played" => DeliveryStatus.Played,
            "failed" => DeliveryStatus.Failed,
            // Meta adds statuses (e.g. "deleted", "warning") without notice; an unknown one says nothing we can apply.
            _ => null,
        };
        if (id is null || at is null || value is null) return null;

        var error = status.Items("errors").FirstOrDefault();
        return new InboundStatus
        {
            Channel = ChannelKind.WhatsApp,
            ChannelExternalId = phoneNumberId,
            MessageExternalId = id,
            OurMessageId = Guid.TryParseExact(status.Str("biz_opaque_callback_data"), "N", out var ours) ? ours : null,
            Status = value.Value,
            At = at.Value,
            // Customers known only by username have no phone number: Meta then names them by BSUID.
            RecipientId = status.Str("recipient_id") ?? status.Str("recipient_user_id"),
            ErrorCode = error.Str("code"),
            ErrorText = ErrorText(error),
        };
    }

    private static InboundChannelError? ReadChannelError(JsonElement error, string phoneNumberId)
    {
        var code = error.Str("code");
        var title = error.Str("title") ?? error.Str("message");
        if (code is null && title is null) return null;
        var details = error.Obj("error_data")?.Str("details") ?? error.Str("message");
        return new InboundChannelError
        {
            Channel = ChannelKind.WhatsApp,
            ChannelExternalId = phoneNumberId,
            Code = code ?? "unknown",
            Title = title ?? "",
            Details = details == title ? null : details,
        };
    }

    /// <summary>
    /// Title, message and details joined, each once: Meta often repeats the same sentence in all three
    /// ("Message undeliverable." ×3), and only sometimes puts the useful part in details.
    /// </summary>
    private static string? ErrorText(JsonElement error)
    {
        var parts = new[] { error.Str("title"), error.Str("message"), error.Obj("error_data")?.Str("details") }
            .OfType<string>()
            .Select(p => p.Trim())
            .Where(p => p.Length > 0)
            .DistinctBy(p => p.TrimEnd('.').ToLowerInvariant())
            .ToList();
        return parts.Count == 0 ? null : string.Join(" — ", parts);
    }
}
