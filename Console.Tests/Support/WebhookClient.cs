using System.Net.Http.Headers;
using System.Text;
using OperatorConsole.Infrastructure.Channels.Inbound;

namespace OperatorConsole.Tests.Support;

/// <summary>Posts signed deliveries to the app's webhook endpoints, exactly as Meta and TikTok do.</summary>
public sealed class WebhookClient(HttpClient http, string metaSecret = "test-meta-app-secret", string tiktokSecret = "test-tiktok-client-secret")
{
    public HttpClient Http { get; } = http;

    public Task<HttpResponseMessage> PostMetaAsync(string source, string json, string? slug = null, string? secret = null) =>
        PostMetaBytesAsync(source, Encoding.UTF8.GetBytes(json), slug, secret);

    public Task<HttpResponseMessage> PostMetaBytesAsync(string source, byte[] body, string? slug = null, string? secret = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, slug is null ? $"/webhooks/{source}" : $"/webhooks/{source}/{slug}")
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        request.Headers.Add("X-Hub-Signature-256", WebhookSignatures.SignMeta(body, secret ?? metaSecret));
        return Http.SendAsync(request);
    }

    public Task<HttpResponseMessage> PostTikTokAsync(string json, DateTimeOffset? at = null)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/tiktok")
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        request.Headers.Add("Tiktok-Signature", WebhookSignatures.SignTikTok(body, tiktokSecret, at ?? DateTimeOffset.UtcNow));
        return Http.SendAsync(request);
    }
}

/// <summary>Minimal wire-format deliveries written from channels.md (the parser tests cover every type in depth).</summary>
public static class Deliveries
{
    private static string Json(object value) => System.Text.Json.JsonSerializer.Serialize(value);

    public static string WhatsAppText(string phoneNumberId, string waId, string wamid, string text, DateTimeOffset sentAt, string? name = "Ana") =>
        WhatsAppBatch((phoneNumberId, waId, wamid, text, sentAt, name));

    public static string WhatsAppBatch(params (string PhoneNumberId, string WaId, string Wamid, string Text, DateTimeOffset SentAt, string? Name)[] messages) =>
        Json(new
        {
            @object = "whatsapp_business_account",
            entry = messages.Select(m => new
            {
                id = "WABA",
                changes = new[]
                {
                    new
                    {
                        field = "messages",
                        value = new
                        {
                            messaging_product = "whatsapp",
                            metadata = new { display_phone_number = "15550000000", phone_number_id = m.PhoneNumberId },
                            contacts = new[] { new { profile = new { name = m.Name }, wa_id = m.WaId } },
                            messages = new[]
                            {
                                new { from = m.WaId, id = m.Wamid, timestamp = m.SentAt.ToUnixTimeSeconds().ToString(), type = "text", text = new { body = m.Text } },
                            },
                        },
                    },
                },
            }),
        });

    public static string WhatsAppStatus(string phoneNumberId, string wamid, string status, DateTimeOffset at, int? errorCode = null)
    {
        object statusItem = errorCode is { } code
            ? new
            {
                id = wamid, status, timestamp = at.ToUnixTimeSeconds().ToString(), recipient_id = "5215512345678",
                errors = new[] { new { code, title = "Message undeliverable", message = "Message undeliverable", error_data = new { details = "Message Undeliverable." } } },
            }
            : new { id = wamid, status, timestamp = at.ToUnixTimeSeconds().ToString(), recipient_id = "5215512345678" };
        return Json(new
        {
            @object = "whatsapp_business_account",
            entry = new[]
            {
                new
                {
                    id = "WABA",
                    changes = new[]
                    {
                        new
                        {
                            field = "messages",
                            value = new
                            {
                                messaging_product = "whatsapp",
                                metadata = new { display_phone_number = "15550000000", phone_number_id = phoneNumberId },
                                statuses = new[] { statusItem },
                            },
                        },
                    },
                },
            },
        });
    }

    public static string MessengerEcho(string pageId, string psid, string mid, string text, DateTimeOffset at) => Json(new
    {
        @object = "page",
        entry = new[]
        {
            new
            {
                id = pageId, time = at.ToUnixTimeMilliseconds(),
                messaging = new[]
                {
                    new
                    {
                        sender = new { id = pageId }, recipient = new { id = psid }, timestamp = at.ToUnixTimeMilliseconds(),
                        message = new { mid, is_echo = true, app_id = 1234, text },
                    },
                },
            },
        },
    });

    public static string MessengerText(string pageId, string psid, string mid, string text, DateTimeOffset at) => Json(new
    {
        @object = "page",
        entry = new[]
        {
            new
            {
                id = pageId, time = at.ToUnixTimeMilliseconds(),
                messaging = new[]
                {
                    new { sender = new { id = psid }, recipient = new { id = pageId }, timestamp = at.ToUnixTimeMilliseconds(), message = new { mid, text } },
                },
            },
        },
    });

    public static string TikTokText(string businessId, string userId, string messageId, string conversationId, string text, DateTimeOffset at)
    {
        var content = System.Text.Json.JsonSerializer.Serialize(new
        {
            type = "text", message_id = messageId, timestamp = at.ToUnixTimeMilliseconds(), conversation_id = conversationId,
            text = new { body = text }, from_user = new { id = userId }, to_user = new { id = businessId },
        });
        return System.Text.Json.JsonSerializer.Serialize(new
        {
            client_key = "ck", @event = "im_receive_msg", create_time = at.ToUnixTimeSeconds(), user_openid = userId, content,
        });
    }
}
