using System.Net;
using System.Net.Http.Headers;
using System.Text;
using FsCheck.Fluent;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Channels.Inbound;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Hostile;

/// <summary>One app for the hostile-webhook tests: platform secrets for Meta, TikTok and the platform's Stripe account.</summary>
public sealed class HostileWebhookApp : IAsyncLifetime
{
    public const string StripeSecret = "whsec_hostile";
    public const long MaxBodyBytes = 1024 * 1024;

    public NodeAppFactory App { get; private set; } = default!;

    /// <summary>Channels of one tenant, so mutated real payloads are routed and processed, not only stored.</summary>
    public HostileAccounts Accounts { get; private set; } = default!;
    public Guid TenantId { get; private set; }

    public async Task InitializeAsync()
    {
        App = new NodeAppFactory(null, new Dictionary<string, string?>
        {
            ["Stripe:WebhookSecret"] = StripeSecret,
            ["Stripe:ApiBase"] = "http://127.0.0.1:9",
            ["Webhooks:MaxBodyBytes"] = MaxBodyBytes.ToString(),
            ["Agent:Workers"] = "0",
        });
        await App.InitializeAsync();
        var tenant = await App.TenantAsync();
        TenantId = tenant.Id;
        var channels = new Dictionary<ChannelKind, string>();
        foreach (var kind in new[] { ChannelKind.WhatsApp, ChannelKind.Messenger, ChannelKind.Instagram, ChannelKind.TikTok })
            channels[kind] = (await App.ChannelAsync(tenant.Id, kind)).ExternalId;
        Accounts = new HostileAccounts(channels[ChannelKind.WhatsApp], channels[ChannelKind.Messenger], channels[ChannelKind.Instagram],
            channels[ChannelKind.TikTok]);
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

/// <summary>
/// Hostile webhook deliveries through real HTTP with valid signatures: fuzzed bodies of every channel never get a 500
/// and the app keeps working; oversized, deeply nested, non-UTF-8 and replayed bodies get the documented answers.
/// </summary>
public class HostileWebhookTests(HostileWebhookApp fixture) : IClassFixture<HostileWebhookApp>
{
    private NodeAppFactory App => fixture.App;
    private WebhookClient Hooks => new(App.CreateClient());

    private Task<HttpResponseMessage> PostSignedAsync(string source, byte[] body, DateTimeOffset? at = null)
    {
        var path = source == "stripe" ? "/webhooks/stripe" : $"/webhooks/{source}";
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        switch (source)
        {
            case "tiktok":
                request.Headers.Add("Tiktok-Signature", WebhookSignatures.SignTikTok(body, "test-tiktok-client-secret", at ?? DateTimeOffset.UtcNow));
                break;
            case "stripe":
                // Stripe signs text: a body that is not UTF-8 is signed over its (lossy) text, as a hostile sender could.
                request.Headers.Add("Stripe-Signature", Stripe.EventUtility.GenerateSignatureHeader(Encoding.UTF8.GetString(body),
                    HostileWebhookApp.StripeSecret, (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds()));
                break;
            default:
                request.Headers.Add("X-Hub-Signature-256", WebhookSignatures.SignMeta(body, "test-meta-app-secret"));
                break;
        }
        return App.CreateClient().SendAsync(request);
    }

    /// <summary>
    /// Posts <paramref name="cases"/> generated bodies of <paramref name="source"/>, signed; every answer must be 200
    /// (stored) or 400 (signed but unparseable, stored for replay), or 413 for a body over the limit. Then the app must still answer and process.
    /// </summary>
    private async Task FuzzAsync(string source, int cases)
    {
        var started = DateTimeOffset.UtcNow.AddSeconds(-1);
        var gen = source == "stripe" ? WebhookParserPropertyTests.StripeBodies() : HostilePayloads.Any(source, fixture.Accounts);
        var bodies = gen.Sample(size: 30, numberOfSamples: cases);
        var wrong = new List<string>();
        var statuses = new Dictionary<HttpStatusCode, int>();
        // Four at a time: Meta sends concurrently, and a parser bug under concurrency must show too.
        await Parallel.ForEachAsync(bodies, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (body, _) =>
        {
            using var response = await PostSignedAsync(source, body.Bytes);
            lock (statuses)
            {
                statuses[response.StatusCode] = statuses.GetValueOrDefault(response.StatusCode) + 1;
                // 413 is the right answer exactly when the generator made a body over Webhooks:MaxBodyBytes.
                var tooLarge = body.Bytes.Length > HostileWebhookApp.MaxBodyBytes;
                if (tooLarge ? response.StatusCode != HttpStatusCode.RequestEntityTooLarge
                        : response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.BadRequest))
                    wrong.Add($"{(int)response.StatusCode} for {body}");
            }
        });
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {cases} answered neither 200 nor 400:\n" + string.Join("\n", wrong.Take(5)));
        Assert.True(statuses.GetValueOrDefault(HttpStatusCode.OK) > 0, "some generated bodies must be accepted, or the generator only tests the front door");

        Assert.Equal(HttpStatusCode.OK, (await App.CreateClient().GetAsync("/health/live")).StatusCode);
        if (source == "stripe") return;

        // Processing: every stored delivery is applied, left waiting for its channel, or failed as unparseable; none
        // failed because a processor threw (those keep the exception's stack trace as their error).
        await using var work = App.Scopes.ForSystem("test");
        var run = await Eventually.GetAsync(async () => await work.Db.WebhookDeliveries.AsNoTracking()
                .Where(d => d.Source == source && d.ReceivedAt >= started)
                .Select(d => new { d.State, d.Attempts, d.LastError, d.Body }).ToListAsync(),
            rows => rows.All(d => d.State != DeliveryState.Pending || d.Attempts > 0), $"{source} deliveries processed", TimeSpan.FromSeconds(60));
        // A lost race with a concurrent delivery of the same message id (unique violation) is retried by design in 200 ms.
        // An id longer than the channels ever send (a 100,000-character sender id) is dropped by the parser as a
        // malformed item, so it never fails the batch at the database (22001) either.
        var crashed = run.Where(d => d.LastError?.Contains("   at ") == true && !d.LastError.Contains("23505")
            && !d.LastError.Contains("DbUpdateConcurrencyException")).ToList();
        Assert.True(crashed.Count == 0, $"{crashed.Count} deliveries made the processor throw:\n"
            + string.Join("\n---\n", crashed.Take(3).Select(d => d.LastError![..Math.Min(1500, d.LastError!.Length)] + "\nbody: "
                + Encoding.UTF8.GetString(d.Body)[..Math.Min(600, d.Body.Length)])));
    }

    [Fact]
    public async Task A_signed_Stripe_event_with_a_NUL_in_its_customer_id_gets_a_400_and_leaves_no_receipt()
    {
        // What the fuzzing found once in CI: the NUL reached the customer lookup and PostgreSQL answered 500.
        var eventId = "evt_nul_" + Guid.NewGuid().ToString("N");
        var (json, _) = Fakes.FakeStripeApi.SignedEvent("customer.subscription.updated", new System.Text.Json.Nodes.JsonObject
        {
            ["id"] = "sub_nul", ["object"] = "subscription", ["status"] = "active", ["customer"] = "cus_a\0b",
            ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["tenant_id"] = "not-a-tenant" },
        }, HostileWebhookApp.StripeSecret, eventId);
        using var response = await PostSignedAsync("stripe", Encoding.UTF8.GetBytes(json));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("NUL", await response.Content.ReadAsStringAsync());
        await using var work = App.Scopes.ForSystem("test");
        Assert.False(await work.Db.PlatformStripeEvents.AnyAsync(e => e.EventId == eventId));
    }

    [Theory]
    [InlineData("whatsapp")]
    [InlineData("messenger")]
    [InlineData("instagram")]
    [InlineData("tiktok")]
    [InlineData("stripe")]
    public Task Signed_fuzzed_deliveries_never_get_a_500_and_are_processed_without_a_crash(string source) => FuzzAsync(source, 150);

    [Theory]
    [Trait("Category", "Proof")]
    [InlineData("whatsapp")]
    [InlineData("messenger")]
    [InlineData("instagram")]
    [InlineData("tiktok")]
    [InlineData("stripe")]
    public Task Thousands_of_signed_fuzzed_deliveries_never_get_a_500_and_are_processed_without_a_crash(string source) =>
        FuzzAsync(source, HostilePayloads.Cases(3000));

    [Fact]
    public async Task After_the_fuzzing_a_real_message_still_arrives_in_the_inbox()
    {
        await FuzzAsync("whatsapp", 40);
        var wamid = "wamid." + Guid.NewGuid().ToString("N");
        var ok = await Hooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(fixture.Accounts.PhoneNumberId, "5215511112222", wamid, "¿siguen ahí?",
            DateTimeOffset.UtcNow));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        await using var work = App.Scopes.ForTenant(fixture.TenantId);
        await Eventually.TrueAsync(() => work.Db.Messages.AnyAsync(m => m.ExternalId == wamid && m.Body == "¿siguen ahí?"), "the real message stored");
    }

    [Fact]
    public async Task A_message_of_a_type_nobody_knows_is_stored_as_unsupported_in_the_conversation()
    {
        var wamid = "wamid." + Guid.NewGuid().ToString("N");
        var body = OperatorConsole.Tests.Channels.Inbound.InboundPayloads.WhatsAppDelivery(
            OperatorConsole.Tests.Channels.Inbound.InboundPayloads.WhatsAppValue(fixture.Accounts.PhoneNumberId,
                contacts: [OperatorConsole.Tests.Channels.Inbound.InboundPayloads.WhatsAppContact("5215533334444")],
                messages: [OperatorConsole.Tests.Channels.Inbound.InboundPayloads.WhatsAppMessage("hologram",
                    new System.Text.Json.Nodes.JsonObject { ["frames"] = 3 }, wamid, "5215533334444", DateTimeOffset.UtcNow.ToUnixTimeSeconds())]));
        Assert.Equal(HttpStatusCode.OK, (await Hooks.PostMetaAsync("whatsapp", body)).StatusCode);
        await using var work = App.Scopes.ForTenant(fixture.TenantId);
        var stored = await Eventually.GetAsync(() => work.Db.Messages.AsNoTracking().SingleOrDefaultAsync(m => m.ExternalId == wamid),
            m => m is not null, "the unknown message stored");
        Assert.Equal(MessageType.Unsupported, stored!.Type);
        Assert.Contains("hologram", stored.Payload);
    }

    // ---- Bodies ------------------------------------------------------------------------------------------------------

    /// <summary>A body streamed without a length (chunked), so the server cannot refuse it on Content-Length.</summary>
    private sealed class ChunkedContent(long total) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var chunk = Encoding.ASCII.GetBytes(new string(' ', 64 * 1024));
            for (long sent = 0; sent < total; sent += chunk.Length) await stream.WriteAsync(chunk);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    [Theory]
    [InlineData("/webhooks/whatsapp")]
    [InlineData("/webhooks/tiktok")]
    [InlineData("/webhooks/stripe")]
    public async Task A_chunked_body_over_the_limit_is_refused_with_413(string path)
    {
        // The endpoint stops reading at the limit (ReadLimitedAsync); the in-memory test server buffers what the client
        // sends, so this proves the refusal, not how little of the body was read.
        var response = await App.CreateClient().PostAsync(path, new ChunkedContent(3 * HostileWebhookApp.MaxBodyBytes));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Theory]
    [InlineData("/webhooks/messenger")]
    [InlineData("/webhooks/stripe")]
    public async Task A_declared_length_over_the_limit_is_refused_with_413(string path)
    {
        var body = new byte[HostileWebhookApp.MaxBodyBytes + 1];
        Array.Fill(body, (byte)' ');
        var response = await App.CreateClient().PostAsync(path, new ByteArrayContent(body));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    public static TheoryData<string, string> DeepBodies()
    {
        var deep = new string('[', 10_000) + new string(']', 10_000);
        var deepObject = string.Concat(Enumerable.Repeat("{\"a\":", 10_000)) + "1" + new string('}', 10_000);
        return new TheoryData<string, string>
        {
            { "whatsapp", $"{{\"object\":\"whatsapp_business_account\",\"entry\":{deep}}}" },
            { "messenger", $"{{\"object\":\"page\",\"entry\":[{{\"id\":\"1\",\"messaging\":[{deepObject}]}}]}}" },
            { "instagram", deep },
            { "tiktok", $"{{\"event\":\"im_receive_msg\",\"content\":{System.Text.Json.JsonSerializer.Serialize(deep)}}}" },
            { "stripe", $"{{\"id\":\"evt_1\",\"object\":\"event\",\"type\":\"checkout.session.completed\",\"data\":{{\"object\":{deepObject}}}}}" },
        };
    }

    [Theory]
    [MemberData(nameof(DeepBodies))]
    public async Task Ten_thousand_levels_of_nesting_are_a_400_not_a_stack_overflow(string source, string body)
    {
        var response = await PostSignedAsync(source, Encoding.UTF8.GetBytes(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, (await App.CreateClient().GetAsync("/health/live")).StatusCode);
    }

    public static TheoryData<string, byte[]> NotUtf8()
    {
        static byte[] With(string before, byte[] bad, string after) => [.. Encoding.UTF8.GetBytes(before), .. bad, .. Encoding.UTF8.GetBytes(after)];
        byte[] overlong = [0xC0, 0xAF], lone = [0xFF, 0xFE], surrogate = [0xED, 0xA0, 0x80], cut = [0xE2, 0x82];
        return new TheoryData<string, byte[]>
        {
            { "whatsapp", With("{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"", lone, "\",\"changes\":[]}]}") },
            { "whatsapp", With("{\"object\":\"", overlong, "\",\"entry\":[]}") },
            { "messenger", With("{\"object\":\"page\",\"entry\":[{\"id\":\"", surrogate, "\",\"messaging\":[]}]}") },
            { "instagram", With("{\"object\":\"instagram\",\"entry\":[{\"id\":\"1\",\"messaging\":[{\"sender\":{\"id\":\"", cut, "\"}}]}]}") },
            { "tiktok", With("{\"event\":\"im_receive_msg\",\"user_openid\":\"", lone, "\",\"content\":\"{}\"}") },
            { "stripe", With("{\"id\":\"evt_", lone, "\",\"object\":\"event\",\"type\":\"x\",\"data\":{\"object\":{}}}") },
        };
    }

    [Theory]
    [MemberData(nameof(NotUtf8))]
    public async Task A_signed_body_that_is_not_UTF8_is_a_400_and_kept_for_review(string source, byte[] body)
    {
        var response = await PostSignedAsync(source, body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        if (source == "stripe") return; // Stripe retries what it was refused; nothing of it is stored
        await using var work = App.Scopes.ForSystem("test");
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(body));
        var kept = await work.Db.WebhookDeliveries.AsNoTracking().SingleAsync(d => d.BodyHash == hash);
        Assert.Equal(DeliveryState.Failed, kept.State);
        Assert.Equal(body, kept.Body);
    }

    // ---- Signatures ---------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("whatsapp")]
    [InlineData("messenger")]
    [InlineData("instagram")]
    [InlineData("tiktok")]
    public async Task A_replayed_delivery_is_stored_once_and_a_signature_over_another_body_is_refused(string source)
    {
        var marker = Guid.NewGuid().ToString("N");
        // The first sample is a text message; its id and text made unique to this test.
        var body = Encoding.UTF8.GetBytes(HostilePayloads.Samples(source, fixture.Accounts)[0]
            .Replace("S1", "S1" + marker).Replace("hola", marker).Replace("Hola", marker));
        var at = DateTimeOffset.UtcNow;
        // The same bytes and the same signature, five times (a replay, or Meta retrying): one row, one message.
        var first = await SendAsync(source, body, Sign(source, body, at));
        for (var i = 0; i < 4; i++) Assert.Equal(HttpStatusCode.OK, (await SendAsync(source, body, Sign(source, body, at))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        // A valid signature taken from one body and sent with another, and a signature made with another key: refused.
        var other = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body).Replace(marker, marker + "-forged"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(source, other, Sign(source, body, at))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(source, other, Sign(source, other, at, "another-key"))).StatusCode);

        await using var work = App.Scopes.ForSystem("test");
        var rows = (await work.Db.WebhookDeliveries.AsNoTracking().Where(d => d.Source == source && d.ReceivedAt >= at.AddMinutes(-1)).Select(d => d.Body).ToListAsync())
            .Count(b => Encoding.UTF8.GetString(b).Contains(marker));
        Assert.Equal(1, rows);
        await using var tenant = App.Scopes.ForTenant(fixture.TenantId);
        await Eventually.TrueAsync(async () => await tenant.Db.Messages.CountAsync(m => m.Body!.Contains(marker)) == 1, "one message");
        Assert.Equal(0, await tenant.Db.Messages.CountAsync(m => m.Body!.Contains(marker + "-forged")));
    }

    private static string Sign(string source, byte[] body, DateTimeOffset at, string? key = null) => source == "tiktok"
        ? WebhookSignatures.SignTikTok(body, key ?? "test-tiktok-client-secret", at)
        : WebhookSignatures.SignMeta(body, key ?? "test-meta-app-secret");

    private Task<HttpResponseMessage> SendAsync(string source, byte[] body, string signature)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/{source}") { Content = new ByteArrayContent(body) };
        request.Headers.Add(source == "tiktok" ? "Tiktok-Signature" : "X-Hub-Signature-256", signature);
        return App.CreateClient().SendAsync(request);
    }

    [Fact]
    public async Task A_Stripe_event_signed_with_another_key_or_replayed_after_the_tolerance_is_refused_with_nothing_stored()
    {
        var (json, _) = OperatorConsole.Tests.Fakes.FakeStripeApi.SignedEvent("checkout.session.completed",
            OperatorConsole.Tests.Fakes.FakeStripeApi.Session(Guid.NewGuid(), 100, "mxn"), HostileWebhookApp.StripeSecret);
        async Task<HttpStatusCode> PostAsync(string signature)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            request.Headers.Add("Stripe-Signature", signature);
            return (await App.CreateClient().SendAsync(request)).StatusCode;
        }
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(Stripe.EventUtility.GenerateSignatureHeader(json, "whsec_another", now)));
        // A captured event replayed an hour later: Stripe's tolerance is five minutes.
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(Stripe.EventUtility.GenerateSignatureHeader(json, HostileWebhookApp.StripeSecret, now - 3600)));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(Stripe.EventUtility.GenerateSignatureHeader(json, HostileWebhookApp.StripeSecret, now)));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(Stripe.EventUtility.GenerateSignatureHeader(json, HostileWebhookApp.StripeSecret, now)));
        var id = System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("id").GetString();
        await using var work = App.Scopes.ForSystem("test");
        Assert.Equal(1, await work.Db.PlatformStripeEvents.CountAsync(e => e.EventId == id));
    }
}
