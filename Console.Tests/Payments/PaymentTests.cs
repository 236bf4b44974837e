using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Infrastructure.Events;
using OperatorConsole.Infrastructure.Payments;
using OperatorConsole.Tests.Agent;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Payments;

/// <summary>Every PaymentCompleted the app announced (after commit), for the tests to look at.</summary>
public sealed class RecordedRevenueEvents : IDomainEventHandler
{
    public ConcurrentQueue<PaymentCompleted> Completed { get; } = new();

    public void Handle(IReadOnlyList<IDomainEvent> events)
    {
        foreach (var e in events.OfType<PaymentCompleted>()) Completed.Enqueue(e);
    }
}

/// <summary>The app with Stripe.net pointed at a local fake Stripe and the LLM at a fake model.</summary>
public sealed class PaymentsAppFactory(IReadOnlyDictionary<string, string?> settings, RecordedRevenueEvents recorder)
    : ConsoleAppFactory(null, settings)
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(s => s.AddSingleton<IDomainEventHandler>(recorder));
    }
}

public sealed class PaymentsApp : IAsyncLifetime
{
    public FakeStripeApi Stripe { get; private set; } = default!;
    public FakeLlm Llm { get; private set; } = default!;
    public RecordedRevenueEvents Events { get; } = new();
    public PaymentsAppFactory App { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Stripe = await FakeStripeApi.StartAsync();
        Llm = await FakeLlm.StartAsync();
        var settings = AgentApp.Settings(Llm);
        settings["Stripe:ApiBase"] = Stripe.BaseUrl;
        settings["Platform:PublicBaseUrl"] = "https://console.example.test";
        App = new PaymentsAppFactory(settings, Events);
        await App.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Llm.DisposeAsync();
        await Stripe.DisposeAsync();
    }
}

/// <summary>
/// Products charged through the tenant's own Stripe account (Checkout Sessions, signed webhooks) or by hand (transfer
/// vouchers an operator confirms), with one set of effects when a payment comes in.
/// </summary>
public class PaymentTests(PaymentsApp payments) : IClassFixture<PaymentsApp>
{
    private ConsoleAppFactory App => payments.App;

    private HttpClient Api()
    {
        var api = App.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        return api;
    }

    /// <summary>A tenant whose Stripe account is connected with a key the fake accepts; returns its webhook secret.</summary>
    private async Task<(Guid TenantId, string Slug, string WebhookSecret)> StripeTenantAsync()
    {
        var tenant = await App.TenantAsync();
        var key = "sk_test_" + Guid.NewGuid().ToString("N");
        var secret = "whsec_" + Guid.NewGuid().ToString("N");
        payments.Stripe.AcceptKey(key, "Clínica " + tenant.Slug);
        var response = await Api().PutAsJsonAsync($"/api/v1/tenants/{tenant.Id}/payments/stripe", new { secretKey = key, webhookSecret = secret });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (tenant.Id, tenant.Slug, secret);
    }

    private async Task<PaymentLink> RequestAsync(Guid tenantId, Conversation conversation, string product = "Blanqueamiento", decimal price = 450m,
        string currency = "MXN", int quantity = 1)
    {
        var productId = await BusinessAbuseTests.ProductAsync(App, tenantId, product, price, currency);
        var response = await Api().PostAsJsonAsync($"/api/v1/tenants/{tenantId}/payments",
            new { contactId = conversation.ContactId, conversationId = conversation.Id, productId, quantity });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        return await PaymentAsync(tenantId, id);
    }

    private async Task<PaymentLink> PaymentAsync(Guid tenantId, Guid id)
    {
        await using var work = App.Scopes.ForTenant(tenantId);
        return await work.Db.PaymentLinks.AsNoTracking().SingleAsync(p => p.Id == id);
    }

    private Task<HttpResponseMessage> PostEventAsync(string slug, string json, string? signature)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/stripe/{slug}") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (signature is not null) request.Headers.TryAddWithoutValidation("Stripe-Signature", signature);
        return App.CreateClient().SendAsync(request);
    }

    private async Task<List<Message>> ThankYousAsync(Guid tenantId)
    {
        await using var work = App.Scopes.ForTenant(tenantId);
        return await work.Db.Messages.AsNoTracking()
            .Where(m => m.Direction == MessageDirection.Outbound && m.Body != null && m.Body.StartsWith("¡Gracias! Recibimos tu pago")).ToListAsync();
    }

    [Fact]
    public async Task Connecting_a_key_stripe_refuses_answers_400_with_stripes_message_and_stores_nothing()
    {
        var tenant = await App.TenantAsync();
        var api = Api();
        api.DefaultRequestHeaders.AcceptLanguage.ParseAdd("es");

        var refused = await api.PutAsJsonAsync($"/api/v1/tenants/{tenant.Id}/payments/stripe",
            new { secretKey = "sk_test_wrong0000000", webhookSecret = "whsec_abc" });

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var detail = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString();
        Assert.Equal("Stripe rechazó la clave: Invalid API Key provided: sk_test_****", detail);
        Assert.Contains(payments.Stripe.Requests, r => r.Path == "/v1/account" && r.ApiKey == "sk_test_wrong0000000");
        await using var work = App.Scopes.ForTenant(tenant.Id);
        Assert.False(await work.Db.PaymentSettings.AnyAsync());
    }

    [Fact]
    public async Task A_connected_key_is_stored_encrypted_and_only_the_account_name_is_shown()
    {
        var tenant = await App.TenantAsync();
        var key = "rk_test_" + Guid.NewGuid().ToString("N");
        payments.Stripe.AcceptKey(key, "Spa Serena SA");

        var response = await Api().PutAsJsonAsync($"/api/v1/tenants/{tenant.Id}/payments/stripe", new { secretKey = key, webhookSecret = "whsec_xyz" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("Spa Serena SA", body);
        Assert.DoesNotContain(key, body);
        await using var work = App.Scopes.ForTenant(tenant.Id);
        var stored = await work.Db.PaymentSettings.AsNoTracking().SingleAsync();
        Assert.DoesNotContain(key, stored.ProtectedStripeSecretKey);
        Assert.DoesNotContain("whsec_xyz", stored.ProtectedStripeWebhookSecret);
    }

    [Fact]
    public async Task send_payment_link_creates_a_checkout_session_for_the_products_amount_and_sends_our_page()
    {
        var customer = await TestCustomer.CreateAsync(App);
        var key = "sk_test_" + Guid.NewGuid().ToString("N");
        payments.Stripe.AcceptKey(key, "Sonrisa");
        Assert.Equal(HttpStatusCode.OK, (await Api().PutAsJsonAsync($"/api/v1/tenants/{customer.TenantId}/payments/stripe",
            new { secretKey = key, webhookSecret = "whsec_1" })).StatusCode);
        await BusinessAbuseTests.ProductAsync(App, customer.TenantId, "Limpieza dental", 450.50m, "MXN");
        payments.Llm.Reply(LlmAnswer.Call("send_payment_link", new { product_or_plan = "Limpieza dental", quantity = 2, amount = 1 }),
            LlmAnswer.Say("Te envié el enlace."));

        await customer.SayAsync($"{customer.Marker} quiero pagar dos limpiezas");
        var replies = await customer.WaitForBotMessagesAsync(2);
        await customer.WaitUntilSettledAsync();

        await using var work = App.Scopes.ForTenant(customer.TenantId);
        var payment = await work.Db.PaymentLinks.AsNoTracking().SingleAsync();
        var conversation = await work.Db.Conversations.AsNoTracking().SingleAsync();
        var sent = Assert.Single(payments.Stripe.Requests, r => r.Path == "/v1/checkout/sessions" && r.ApiKey == key).Form;
        Assert.Equal("payment", sent["mode"]);
        Assert.Equal("45050", sent["line_items[0][price_data][unit_amount]"]);
        Assert.Equal("2", sent["line_items[0][quantity]"]);
        Assert.Equal("mxn", sent["line_items[0][price_data][currency]"]);
        Assert.Equal(payment.Id.ToString(), sent["metadata[payment_id]"]);
        Assert.Equal(customer.TenantId.ToString(), sent["metadata[tenant_id]"]);
        Assert.Equal(payment.ContactId.ToString(), sent["metadata[contact_id]"]);
        Assert.Equal(conversation.Id.ToString(), sent["metadata[conversation_id]"]);
        Assert.Equal($"https://console.example.test/pay/{payment.Id}?result=success", sent["success_url"]);
        Assert.Equal(901.00m, payment.Amount);
        Assert.Equal(PaymentLinkStatus.Pending, payment.Status);
        Assert.Equal(PaymentProvider.Stripe, payment.Provider);
        Assert.StartsWith("https://checkout.stripe.test/c/pay/cs_test_", payment.CheckoutUrl);
        // On WhatsApp the link is a "Pagar ahora" button that opens our page, and the inbox shows the address too.
        Assert.Contains(replies, m => m.Type == MessageType.Interactive && m.Body!.Contains($"https://console.example.test/pay/{payment.Id}"));
        var link = Assert.Single(replies.Select(m => OperatorConsole.Infrastructure.Channels.Outbound.OutboundEnvelope.Parse(m.Payload)?.Content.Link)
            .OfType<OperatorConsole.Infrastructure.Channels.Outbound.LinkContent>());
        Assert.Equal(($"https://console.example.test/pay/{payment.Id}", "Pagar ahora"), (link.Url, link.Label));

        // Our page says what is paid for and leads on to Stripe's.
        var page = await App.CreateClient().GetStringAsync($"/pay/{payment.Id}");
        Assert.Contains("Limpieza dental × 2", page);
        Assert.Contains(payment.CheckoutUrl!, page);
    }

    [Fact]
    public async Task A_product_image_must_be_an_https_address_and_is_shown_on_the_checkout()
    {
        var (tenantId, _, _) = await StripeTenantAsync();
        var api = Api();
        var refused = await api.PostAsJsonAsync($"/api/v1/tenants/{tenantId}/products",
            new { name = "Ortodoncia", price = 15000m, currency = "MXN", imageUrl = "javascript:alert(1)" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await api.PostAsJsonAsync($"/api/v1/tenants/{tenantId}/products",
            new { name = "Ortodoncia", price = 15000m, currency = "MXN", imageUrl = "http://cdn.example.test/o.jpg" })).StatusCode);

        var created = await api.PostAsJsonAsync($"/api/v1/tenants/{tenantId}/products",
            new { name = "Ortodoncia", description = "Brackets metálicos", price = 15000m, currency = "MXN", imageUrl = "https://cdn.example.test/o.jpg" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var productId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var conversation = await App.ConversationAsync(tenantId, "Ana");
        var response = await api.PostAsJsonAsync($"/api/v1/tenants/{tenantId}/payments",
            new { contactId = conversation.ContactId, conversationId = conversation.Id, productId });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var paymentId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        var sent = payments.Stripe.Requests.Single(r => r.Path == "/v1/checkout/sessions" && r.Form.GetValueOrDefault("metadata[payment_id]") == paymentId.ToString()).Form;
        Assert.Equal("https://cdn.example.test/o.jpg", sent["line_items[0][price_data][product_data][images][0]"]);
        Assert.Equal("1500000", sent["line_items[0][price_data][unit_amount]"]);
    }

    [Fact]
    public async Task A_custom_amount_is_charged_only_when_the_owner_allows_it_and_never_above_the_maximum()
    {
        var customer = await TestCustomer.CreateAsync(App);
        await App.Services.GetRequiredService<PaymentSetup>().SetManualAsync(customer.TenantId, null, allowCustomAmount: true, maxCustomAmount: 500m, default);
        await BusinessAbuseTests.ProductAsync(App, customer.TenantId, "Anticipo", 200m, "MXN");
        payments.Llm.Reply(LlmAnswer.Call("send_payment_link", new { product_or_plan = "Anticipo", amount = 800 }),
            LlmAnswer.Call("send_payment_link", new { product_or_plan = "Anticipo", amount = 300 }),
            LlmAnswer.Say("Listo."));

        await customer.SayAsync($"{customer.Marker} quiero dejar un anticipo");
        await customer.WaitForBotMessagesAsync(2);
        await customer.WaitUntilSettledAsync();

        var calls = (await customer.EventsAsync()).Where(e => e.Type == ConversationEventType.ToolCalled && e.Text == "send_payment_link")
            .Select(e => JsonDocument.Parse(e.Data!).RootElement).ToList();
        Assert.Equal(2, calls.Count);
        // Both calls are recorded with the turn's commit, so their order in the timeline is not the call order.
        Assert.Single(calls, c => c.GetProperty("error").GetString()?.Contains("above the maximum of 500 MXN") == true);
        Assert.Single(calls, c => c.GetProperty("error").ValueKind == JsonValueKind.Null);
        await using var work = App.Scopes.ForTenant(customer.TenantId);
        var payment = await work.Db.PaymentLinks.AsNoTracking().SingleAsync();
        Assert.Equal((300m, "MXN", 1), (payment.Amount, payment.Currency, payment.Quantity));
    }

    [Fact]
    public void Zero_decimal_currencies_are_sent_in_whole_units()
    {
        Assert.Equal(5000, StripeGateway.ToMinorUnits(5000m, "CLP"));
        Assert.Equal(45050, StripeGateway.ToMinorUnits(450.50m, "MXN"));
        Assert.Equal(5000m, StripeGateway.FromMinorUnits(5000, "CLP"));
    }

    [Fact]
    public async Task Without_stripe_a_link_is_a_manual_pending_payment_whose_page_shows_the_bank_details()
    {
        var tenant = await App.TenantAsync();
        await using (var work = App.Scopes.ForTenant(tenant.Id))
        {
            var settings = PaymentSettings.Create(tenant.Id, DateTimeOffset.UtcNow);
            settings.SetManual("BBVA · CLABE 012180001234567897 · Sonrisa SA", false, 0, DateTimeOffset.UtcNow);
            work.Db.PaymentSettings.Add(settings);
            await work.Db.SaveChangesAsync();
        }
        var conversation = await App.ConversationAsync(tenant.Id, "Ana");

        var payment = await RequestAsync(tenant.Id, conversation);

        Assert.Equal(PaymentProvider.Manual, payment.Provider);
        Assert.Equal(PaymentLinkStatus.Pending, payment.Status);
        Assert.Null(payment.CheckoutUrl);
        var client = App.CreateClient();
        client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("es");
        var page = await client.GetStringAsync($"/pay/{payment.Id}");
        Assert.Contains("CLABE 012180001234567897", page);
        Assert.Contains("envía una foto del comprobante", page);
    }

    [Fact]
    public async Task A_bad_or_missing_signature_is_refused_with_400_and_changes_nothing()
    {
        var (tenantId, slug, secret) = await StripeTenantAsync();
        var conversation = await App.ConversationAsync(tenantId, "Ana");
        var payment = await RequestAsync(tenantId, conversation);
        var (json, _) = FakeStripeApi.SignedEvent("checkout.session.completed", FakeStripeApi.Session(payment.Id, 45000, "mxn"), secret);
        var (_, wrong) = FakeStripeApi.SignedEvent("checkout.session.completed", FakeStripeApi.Session(payment.Id, 45000, "mxn"), "whsec_other");
        var forged = FakeStripeApi.SignedEvent("checkout.session.completed", FakeStripeApi.Session(payment.Id, 45000, "mxn"), "whsec_other");

        Assert.Equal(HttpStatusCode.BadRequest, (await PostEventAsync(slug, json, null)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostEventAsync(slug, json, wrong)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostEventAsync(slug, forged.Json, forged.Signature)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostEventAsync("no-such-tenant", json, wrong)).StatusCode);

        Assert.Equal(PaymentLinkStatus.Pending, (await PaymentAsync(tenantId, payment.Id)).Status);
        await using var work = App.Scopes.ForTenant(tenantId);
        Assert.False(await work.Db.StripeEvents.AnyAsync());
    }

    [Fact]
    public async Task A_completed_checkout_marks_paid_with_stripes_amount_moves_the_lead_to_won_thanks_the_customer_and_announces_it()
    {
        var (tenantId, slug, secret) = await StripeTenantAsync();
        var conversation = await App.ConversationAsync(tenantId, "Ana");
        var payment = await RequestAsync(tenantId, conversation);
        var (json, signature) = FakeStripeApi.SignedEvent("checkout.session.completed", FakeStripeApi.Session(payment.Id, 44000, "mxn"), secret);

        Assert.Equal(HttpStatusCode.OK, (await PostEventAsync(slug, json, signature)).StatusCode);

        var paid = await PaymentAsync(tenantId, payment.Id);
        Assert.Equal(PaymentLinkStatus.Paid, paid.Status);
        Assert.Equal(440.00m, paid.Amount); // what Stripe charged, not what we asked
        Assert.NotNull(paid.PaidAt);
        await using (var work = App.Scopes.ForTenant(tenantId))
        {
            Assert.Equal(StageKind.Won, await StageKindAsync(work.Db, conversation.ContactId));
            Assert.Contains(await work.Db.LeadStageChanges.AsNoTracking().Where(h => h.ContactId == conversation.ContactId).ToListAsync(),
                h => h.ChangedBy == "payment");
            Assert.Contains(await work.Db.ConversationEvents.AsNoTracking().Where(e => e.ConversationId == conversation.Id).ToListAsync(),
                e => e.Text!.StartsWith("Payment received: Blanqueamiento, 440.00 MXN"));
        }
        var thanks = Assert.Single(await ThankYousAsync(tenantId));
        Assert.Equal(MessageSender.Bot, thanks.Sender);
        var completed = await Eventually.GetAsync(() => Task.FromResult(payments.Events.Completed.Where(e => e.PaymentId == payment.Id).ToList()),
            l => l.Count > 0, "PaymentCompleted");
        var announced = Assert.Single(completed);
        Assert.Equal((440.00m, "MXN", "stripe", conversation.ContactId), (announced.Amount, announced.Currency, announced.Provider, announced.ContactId));
    }

    [Fact]
    public async Task The_same_event_delivered_twice_is_applied_once()
    {
        var (tenantId, slug, secret) = await StripeTenantAsync();
        var conversation = await App.ConversationAsync(tenantId, "Ana");
        var payment = await RequestAsync(tenantId, conversation);
        var (json, signature) = FakeStripeApi.SignedEvent("checkout.session.completed", FakeStripeApi.Session(payment.Id, 45000, "mxn"), secret);

        Assert.Equal(HttpStatusCode.OK, (await PostEventAsync(slug, json, signature)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostEventAsync(slug, json, signature)).StatusCode);

        Assert.Single(await ThankYousAsync(tenantId));
        await using var work = App.Scopes.ForTenant(tenantId);
        Assert.Equal(1, await work.Db.StripeEvents.CountAsync());
        Assert.Single(await work.Db.ConversationEvents.AsNoTracking().Where(e => e.Text!.StartsWith("Payment received")).ToListAsync());
        // Both deliveries have committed; the announcement went out once.
        Assert.Single(payments.Events.Completed, e => e.PaymentId == payment.Id);
    }

    [Fact]
    public async Task A_completed_payment_followed_by_an_older_expired_event_stays_paid()
    {
        var (tenantId, slug, secret) = await StripeTenantAsync();
        var conversation = await App.ConversationAsync(tenantId, "Ana");
        var payment = await RequestAsync(tenantId, conversation);
        var completed = FakeStripeApi.SignedEvent("checkout.session.completed", FakeStripeApi.Session(payment.Id, 45000, "mxn"), secret);
        var expired = FakeStripeApi.SignedEvent("checkout.session.expired",
            FakeStripeApi.Session(payment.Id, 45000, "mxn", paymentStatus: "unpaid", status: "expired"), secret,
            created: DateTimeOffset.UtcNow.AddMinutes(-30));

        Assert.Equal(HttpStatusCode.OK, (await PostEventAsync(slug, completed.Json, completed.Signature)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostEventAsync(slug, expired.Json, expired.Signature)).StatusCode);

        Assert.Equal(PaymentLinkStatus.Paid, (await PaymentAsync(tenantId, payment.Id)).Status);
    }

    [Fact]
    public async Task An_expired_checkout_shows_in_the_conversation_and_a_failed_one_too()
    {
        var (tenantId, slug, secret) = await StripeTenantAsync();
        var conversation = await App.ConversationAsync(tenantId, "Ana");
        var first = await RequestAsync(tenantId, conversation);
        var second = await RequestAsync(tenantId, conversation, product: "Limpieza", price: 600m);
        var expired = FakeStripeApi.SignedEvent("checkout.session.expired",
            FakeStripeApi.Session(first.Id, 45000, "mxn", paymentStatus: "unpaid", status: "expired"), secret);
        var intent = new System.Text.Json.Nodes.JsonObject
        {
            ["id"] = "pi_test_1", ["object"] = "payment_intent", ["amount"] = 60000, ["currency"] = "mxn", ["status"] = "requires_payment_method",
            ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["payment_id"] = second.Id.ToString() },
        };
        var failed = FakeStripeApi.SignedEvent("payment_intent.payment_failed", intent, secret);

        Assert.Equal(HttpStatusCode.OK, (await PostEventAsync(slug, expired.Json, expired.Signature)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostEventAsync(slug, failed.Json, failed.Signature)).StatusCode);

        Assert.Equal(PaymentLinkStatus.Expired, (await PaymentAsync(tenantId, first.Id)).Status);
        Assert.Equal(PaymentLinkStatus.Failed, (await PaymentAsync(tenantId, second.Id)).Status);
        await using var work = App.Scopes.ForTenant(tenantId);
        var timeline = await work.Db.ConversationEvents.AsNoTracking().Where(e => e.ConversationId == conversation.Id).Select(e => e.Text).ToListAsync();
        Assert.Contains("Payment link expired: Blanqueamiento, 450.00 MXN", timeline);
        Assert.Contains("Payment failed: Limpieza, 600.00 MXN", timeline);
    }

    [Fact]
    public async Task One_tenants_webhook_secret_cannot_pay_another_tenants_payment()
    {
        var a = await StripeTenantAsync();
        var b = await StripeTenantAsync();
        var conversationB = await App.ConversationAsync(b.TenantId, "Beto");
        var paymentB = await RequestAsync(b.TenantId, conversationB);

        // Signed with A's secret: at A's endpoint it is authentic but names no payment of A's; at B's it is not B's signature.
        var (json, signature) = FakeStripeApi.SignedEvent("checkout.session.completed", FakeStripeApi.Session(paymentB.Id, 100, "mxn"), a.WebhookSecret);
        Assert.Equal(HttpStatusCode.OK, (await PostEventAsync(a.Slug, json, signature)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostEventAsync(b.Slug, json, signature)).StatusCode);

        Assert.Equal(PaymentLinkStatus.Pending, (await PaymentAsync(b.TenantId, paymentB.Id)).Status);
        Assert.Empty(await ThankYousAsync(b.TenantId));
    }

    [Fact]
    public async Task An_operator_confirms_a_transfer_against_its_voucher_with_the_same_effects_as_a_card_payment()
    {
        var tenant = await App.TenantAsync();
        var conversation = await App.ConversationAsync(tenant.Id, "Ana");
        var payment = await RequestAsync(tenant.Id, conversation);
        Guid voucherId;
        await using (var work = App.Scopes.ForTenant(tenant.Id))
        {
            var tracked = await work.Db.Conversations.SingleAsync(c => c.Id == conversation.Id);
            var photo = Message.Inbound(tracked, "wamid." + Guid.NewGuid().ToString("N"), MessageType.Image, "comprobante", null,
                DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
            photo.MediaStored("image/jpeg");
            work.Db.Messages.Add(photo);
            await work.Db.SaveChangesAsync();
            voucherId = photo.Id;
        }
        var api = Api();

        Assert.Equal(HttpStatusCode.NoContent,
            (await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/payments/{payment.Id}/voucher", new { messageId = voucherId })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await api.PostAsync($"/api/v1/tenants/{tenant.Id}/payments/{payment.Id}/confirm", null)).StatusCode);

        var paid = await PaymentAsync(tenant.Id, payment.Id);
        Assert.Equal((PaymentLinkStatus.Paid, voucherId, PaymentProvider.Manual), (paid.Status, paid.VoucherMessageId!.Value, paid.Provider));
        await using (var work = App.Scopes.ForTenant(tenant.Id))
            Assert.Equal(StageKind.Won, await StageKindAsync(work.Db, conversation.ContactId));
        Assert.Single(await ThankYousAsync(tenant.Id));
        await Eventually.TrueAsync(() => Task.FromResult(payments.Events.Completed.Any(e => e.PaymentId == payment.Id && e.Provider == "manual")),
            "PaymentCompleted for the manual payment");
        // A paid payment cannot be confirmed again (no second thank-you).
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await api.PostAsync($"/api/v1/tenants/{tenant.Id}/payments/{payment.Id}/confirm", null)).StatusCode);
        Assert.Single(await ThankYousAsync(tenant.Id));
    }

    [Fact]
    public async Task The_payments_api_lists_a_tenants_payments_filtered_by_status_and_contact()
    {
        var (tenantId, slug, secret) = await StripeTenantAsync();
        var ana = await App.ConversationAsync(tenantId, "Ana");
        var beto = await App.ConversationAsync(tenantId, "Beto");
        var paid = await RequestAsync(tenantId, ana);
        var pending = await RequestAsync(tenantId, beto, product: "Limpieza", price: 600m);
        var (json, signature) = FakeStripeApi.SignedEvent("checkout.session.completed", FakeStripeApi.Session(paid.Id, 45000, "mxn"), secret);
        Assert.Equal(HttpStatusCode.OK, (await PostEventAsync(slug, json, signature)).StatusCode);

        var byStatus = await Api().GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenantId}/payments?status=paid");
        var item = Assert.Single(byStatus.GetProperty("items").EnumerateArray());
        Assert.Equal(paid.Id, item.GetProperty("id").GetGuid());
        Assert.Equal("paid", item.GetProperty("status").GetString());
        Assert.Equal("stripe", item.GetProperty("provider").GetString());
        Assert.Equal(450.00m, item.GetProperty("amount").GetDecimal());
        Assert.Equal(ana.Id, item.GetProperty("conversationId").GetGuid());
        Assert.NotEqual(JsonValueKind.Null, item.GetProperty("paidAt").ValueKind);
        var byContact = await Api().GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenantId}/payments?contactId={beto.ContactId}");
        Assert.Equal(pending.Id, Assert.Single(byContact.GetProperty("items").EnumerateArray()).GetProperty("id").GetGuid());
        var other = await App.TenantAsync();
        Assert.Empty((await Api().GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{other.Id}/payments")).GetProperty("items").EnumerateArray());
    }

    /// <summary>The kind (open, won, lost) of the pipeline stage the lead sits in.</summary>
    private static Task<StageKind> StageKindAsync(OperatorConsole.Infrastructure.Data.AppDbContext db, Guid contactId) =>
        db.Contacts.Where(c => c.Id == contactId)
            .Join(db.PipelineStages, c => c.StageId, s => s.Id, (c, s) => s.Kind).SingleAsync();
}
