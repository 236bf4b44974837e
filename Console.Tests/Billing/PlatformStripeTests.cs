using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Billing;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Billing;
using OperatorConsole.Infrastructure.Tenants;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Billing;

/// <summary>The app (with a fake clock) billing through a fake Stripe that posts its signed events back to the app.</summary>
public sealed class PlatformStripeApp : IAsyncLifetime
{
    public const string SecretKey = "sk_test_platform_0123456789";
    public const string WebhookSecret = "whsec_platform_test_0123456789";
    public const string PublicBase = "https://console.example.test";

    public FakeStripeApi Stripe { get; private set; } = default!;
    public FakeClockAppFactory App { get; private set; } = default!;

    public static string PriceOf(Plan plan) => "price_" + plan.ToString().ToLowerInvariant() + "_test";

    public async Task InitializeAsync()
    {
        Stripe = await FakeStripeApi.StartAsync();
        Stripe.AcceptKey(SecretKey, "Console platform");
        App = new FakeClockAppFactory(new Dictionary<string, string?>
        {
            ["Stripe:ApiBase"] = Stripe.BaseUrl,
            ["Stripe:SecretKey"] = SecretKey,
            ["Stripe:WebhookSecret"] = WebhookSecret,
            ["Stripe:Prices:Starter"] = PriceOf(Plan.Starter),
            ["Stripe:Prices:Growth"] = PriceOf(Plan.Growth),
            ["Stripe:Prices:Pro"] = PriceOf(Plan.Pro),
            ["Platform:PublicBaseUrl"] = PublicBase,
        });
        await App.InitializeAsync();
        Stripe.ConnectApp(() => App.CreateClient(), WebhookSecret);
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Stripe.DisposeAsync();
    }
}

/// <summary>
/// Platform billing under Stripe's real behaviour: signed events only, each applied once, out of order, retried for days;
/// Checkout for a first plan, a price swap for a change, credit packs into the ledger.
/// </summary>
public class PlatformStripeTests(PlatformStripeApp billing) : IClassFixture<PlatformStripeApp>
{
    private FakeClockAppFactory App => billing.App;
    private FakeStripeApi Stripe => billing.Stripe;

    private HttpClient Api(string? language = null)
    {
        var api = App.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        if (language is not null) api.DefaultRequestHeaders.AcceptLanguage.ParseAdd(language);
        return api;
    }

    private async Task<string> CheckoutUrlAsync(Guid tenantId, string plan)
    {
        var response = await Api().PostAsJsonAsync($"/api/v1/tenants/{tenantId}/billing/checkout", new { plan });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("url").GetString()!;
    }

    /// <summary>Presses Pay on the fake's hosted Checkout page, as the browser does; returns where Stripe sends the browser.</summary>
    private static async Task<Uri> PayAsync(string checkoutUrl)
    {
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var page = await browser.GetStringAsync(checkoutUrl);
        Assert.Contains(">Pay</button>", page);
        var paid = await browser.PostAsync(checkoutUrl, new FormUrlEncodedContent([]));
        Assert.True(paid.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther, $"Pay answered {paid.StatusCode}");
        return paid.Headers.Location!;
    }

    /// <summary>A tenant on a paid plan through Checkout (REST → hosted page → signed events); returns its Stripe subscription.</summary>
    private async Task<(ProvisionedTenant Tenant, FakeSubscription Subscription)> SubscribedAsync(Plan plan = Plan.Growth)
    {
        var tenant = await App.TenantAsync(plan: Plan.Starter);
        await PayAsync(await CheckoutUrlAsync(tenant.Id, plan.ToString().ToLowerInvariant()));
        var row = await SubscriptionAsync(tenant.Id);
        return (tenant, Stripe.Subscriptions[row!.StripeSubscriptionId!]);
    }

    private async Task<Subscription?> SubscriptionAsync(Guid tenantId)
    {
        await using var work = App.Scopes.ForTenant(tenantId);
        return await work.Db.Subscriptions.AsNoTracking().SingleOrDefaultAsync(s => s.TenantId == tenantId);
    }

    private async Task<Plan> PlanAsync(Guid tenantId)
    {
        await using var work = App.Scopes.ForTenant(tenantId);
        return await work.Db.Tenants.Where(t => t.Id == tenantId).Select(t => t.Plan).SingleAsync();
    }

    private async Task<Entitlement> EntitlementAsync(Guid tenantId)
    {
        await using var work = App.Scopes.ForTenant(tenantId);
        return await App.Services.GetRequiredService<BillingReads>().EntitlementAsync(work.Db, tenantId, CancellationToken.None);
    }

    private async Task<int> CreditsAsync(Guid tenantId)
    {
        await using var work = App.Scopes.ForTenant(tenantId);
        return await BillingReads.CreditBalanceAsync(work.Db, tenantId, CancellationToken.None);
    }

    private async Task<int> ReceiptsAsync(string eventId)
    {
        await using var work = App.Scopes.ForSystem("test");
        return await work.Db.PlatformStripeEvents.CountAsync(e => e.EventId == eventId);
    }

    private async Task<List<string>> MailSubjectsAsync(string to)
    {
        await using var work = App.Scopes.ForSystem("test");
        return await work.Db.OutboundEmails.Where(e => e.To == to).OrderBy(e => e.CreatedAt).Select(e => e.Subject).ToListAsync();
    }

    private static string OwnerEmail(ProvisionedTenant tenant) => $"{tenant.Slug}@owner.test";

    [Fact]
    public async Task A_bad_or_missing_signature_answers_400_and_changes_nothing()
    {
        var tenant = await App.TenantAsync(plan: Plan.Starter);
        var subscription = Stripe.CreateSubscription("cus_" + Guid.NewGuid().ToString("N")[..10], PlatformStripeApp.PriceOf(Plan.Pro),
            new Dictionary<string, string> { ["tenant_id"] = tenant.Id.ToString() });
        var (json, _) = FakeStripeApi.SignedEvent("customer.subscription.created", subscription.ToJson(), PlatformStripeApp.WebhookSecret);
        var eventId = JsonNode.Parse(json)!["id"]!.GetValue<string>();
        var (_, forged) = FakeStripeApi.SignedEvent("customer.subscription.created", subscription.ToJson(), "whsec_someone_else");

        var wrongSecret = await Stripe.PostSignedAsync(() => App.CreateClient(), json, forged);
        var missing = await Stripe.PostSignedAsync(() => App.CreateClient(), json, null);
        var tampered = await Stripe.PostSignedAsync(() => App.CreateClient(), json.Replace(PlatformStripeApp.PriceOf(Plan.Pro), "price_free"),
            FakeStripeApi.SignedEvent("x", new JsonObject(), PlatformStripeApp.WebhookSecret).Signature);

        Assert.Equal(HttpStatusCode.BadRequest, wrongSecret.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, tampered.StatusCode);
        Assert.Null(await SubscriptionAsync(tenant.Id));
        Assert.Equal(Plan.Starter, await PlanAsync(tenant.Id));
        Assert.Equal(0, await ReceiptsAsync(eventId));
    }

    [Fact]
    public async Task Checkout_over_rest_names_the_tenant_everywhere_and_paying_it_moves_the_tenant_to_the_plan_at_once()
    {
        var tenant = await App.TenantAsync(plan: Plan.Starter);

        var url = await CheckoutUrlAsync(tenant.Id, "growth");

        Assert.StartsWith(Stripe.BaseUrl + "/c/pay/cs_test_", url);
        var session = Stripe.Requests.Last(r => r.Path == "/v1/checkout/sessions" && r.Form.GetValueOrDefault("client_reference_id") == tenant.Id.ToString());
        Assert.Equal(PlatformStripeApp.SecretKey, session.ApiKey);
        Assert.Equal("subscription", session.Form["mode"]);
        Assert.Equal(tenant.Id.ToString(), session.Form["metadata[tenant_id]"]);
        Assert.Equal(tenant.Id.ToString(), session.Form["subscription_data[metadata][tenant_id]"]);
        Assert.Equal(PlatformStripeApp.PriceOf(Plan.Growth), session.Form["line_items[0][price]"]);
        Assert.Equal($"{PlatformStripeApp.PublicBase}/billing?checkout=success", session.Form["success_url"]);
        Assert.Equal($"{PlatformStripeApp.PublicBase}/billing?checkout=cancel", session.Form["cancel_url"]);
        var customer = Stripe.Customers[session.Form["customer"]];
        Assert.Equal(tenant.Id.ToString(), customer["metadata"]!["tenant_id"]!.GetValue<string>());
        Assert.Equal((await SubscriptionAsync(tenant.Id))!.StripeCustomerId, customer["id"]!.GetValue<string>());

        var back = await PayAsync(url);

        Assert.Equal($"{PlatformStripeApp.PublicBase}/billing?checkout=success", back.AbsoluteUri);
        Assert.All(Stripe.Delivered.Where(d => d.Json.Contains(tenant.Id.ToString())), d => Assert.Equal(HttpStatusCode.OK, d.Status));
        var row = await SubscriptionAsync(tenant.Id);
        Assert.Equal(SubscriptionStatus.Active, row!.Status);
        Assert.Equal(PlatformStripeApp.PriceOf(Plan.Growth), row.PriceId);
        Assert.NotNull(row.CurrentPeriodEnd);
        Assert.Equal(Plan.Growth, await PlanAsync(tenant.Id));
        Assert.Equal(ServiceLevel.Full, (await EntitlementAsync(tenant.Id)).Service);
    }

    [Fact]
    public async Task A_plan_change_with_a_live_subscription_swaps_its_price_in_place_and_never_opens_a_second_subscription()
    {
        var (tenant, subscription) = await SubscribedAsync(Plan.Growth);
        var sessionsBefore = Stripe.Requests.Count(r => r.Path == "/v1/checkout/sessions");

        var response = await Api().PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/billing/checkout", new { plan = "pro" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(body.GetProperty("changed").GetBoolean());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("url").ValueKind);
        Assert.Equal(sessionsBefore, Stripe.Requests.Count(r => r.Path == "/v1/checkout/sessions"));
        Assert.Single(Stripe.Subscriptions.Values, s => s.Customer == subscription.Customer);
        Assert.Equal(PlatformStripeApp.PriceOf(Plan.Pro), subscription.PriceId);
        var update = Stripe.Requests.Last(r => r.Path == $"/v1/subscriptions/{subscription.Id}" && r.Method == "POST");
        Assert.Equal(subscription.ItemId, update.Form["items[0][id]"]);
        Assert.Equal("create_prorations", update.Form["proration_behavior"]);
        Assert.Equal(Plan.Pro, await PlanAsync(tenant.Id));

        // Stripe's own event for the change arrives afterwards and changes nothing more.
        var confirmed = await Stripe.SendEventAsync("customer.subscription.updated", subscription.ToJson());
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        Assert.Equal(Plan.Pro, await PlanAsync(tenant.Id));
        Assert.Equal(subscription.Id, (await SubscriptionAsync(tenant.Id))!.StripeSubscriptionId);
    }

    [Fact]
    public async Task Checkout_opened_in_two_tabs_can_be_paid_only_once_and_a_payment_the_webhook_has_not_brought_is_changed_not_doubled()
    {
        var tenant = await App.TenantAsync(plan: Plan.Starter);
        var first = await CheckoutUrlAsync(tenant.Id, "growth");
        var second = await CheckoutUrlAsync(tenant.Id, "pro");

        // The older tab's page no longer takes a payment; the newer one does.
        using (var browser = new HttpClient())
            Assert.Equal(HttpStatusCode.Gone, (await browser.PostAsync(first, new FormUrlEncodedContent([]))).StatusCode);
        await PayAsync(second);
        var row = await SubscriptionAsync(tenant.Id);
        Assert.Single(Stripe.Subscriptions.Values, sub => sub.Customer == row!.StripeCustomerId);
        Assert.Equal(Plan.Pro, await PlanAsync(tenant.Id));

        // Paid at Stripe but its events not here yet (here: another customer's subscription made directly at the fake):
        // a new Checkout request changes that subscription instead of selling a second one.
        var other = await App.TenantAsync(plan: Plan.Starter);
        await CheckoutUrlAsync(other.Id, "growth");
        var customer = (await SubscriptionAsync(other.Id))!.StripeCustomerId!;
        var paidElsewhere = Stripe.CreateSubscription(customer, PlatformStripeApp.PriceOf(Plan.Growth),
            new Dictionary<string, string> { ["tenant_id"] = other.Id.ToString() });
        var response = await Api().PostAsJsonAsync($"/api/v1/tenants/{other.Id}/billing/checkout", new { plan = "pro" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("changed").GetBoolean());
        Assert.Single(Stripe.Subscriptions.Values, sub => sub.Customer == customer);
        Assert.Equal(PlatformStripeApp.PriceOf(Plan.Pro), paidElsewhere.PriceId);
    }

    [Fact]
    public async Task Updated_delivered_before_created_ends_in_stripes_current_state()
    {
        var tenant = await App.TenantAsync(plan: Plan.Starter);
        var subscription = Stripe.CreateSubscription("cus_" + Guid.NewGuid().ToString("N")[..10], PlatformStripeApp.PriceOf(Plan.Starter),
            new Dictionary<string, string> { ["tenant_id"] = tenant.Id.ToString() });
        var created = subscription.ToJson();
        App.Clock.Advance(TimeSpan.FromMinutes(5));
        subscription.PriceId = PlatformStripeApp.PriceOf(Plan.Pro); // the owner upgraded a few minutes later
        var updated = subscription.ToJson();

        var first = await Stripe.SendEventAsync("customer.subscription.updated", updated);
        App.Clock.Advance(TimeSpan.FromSeconds(30));
        var late = await Stripe.SendEventAsync("customer.subscription.created", created);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        var row = await SubscriptionAsync(tenant.Id);
        Assert.Equal(PlatformStripeApp.PriceOf(Plan.Pro), row!.PriceId);
        Assert.Equal(Plan.Pro, await PlanAsync(tenant.Id));
        Assert.Equal(SubscriptionStatus.Active, row.Status);
    }

    [Fact]
    public async Task A_credit_pack_bought_through_checkout_is_granted_once_even_when_stripe_resends_the_event()
    {
        var tenant = await App.TenantAsync(plan: Plan.Starter);
        var response = await Api().PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/billing/credits/checkout", new { pack = "replies-2000" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var url = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("url").GetString()!;
        var session = Stripe.Requests.Last(r => r.Path == "/v1/checkout/sessions" && r.Form.GetValueOrDefault("client_reference_id") == tenant.Id.ToString());
        Assert.Equal("payment", session.Form["mode"]);
        Assert.Equal("credits", session.Form["metadata[kind]"]);
        Assert.Equal("replies-2000", session.Form["metadata[pack]"]);
        Assert.Equal(tenant.Id.ToString(), session.Form["metadata[tenant_id]"]);
        Assert.Equal("usd", session.Form["line_items[0][price_data][currency]"]);
        Assert.Equal("3500", session.Form["line_items[0][price_data][unit_amount]"]);

        // Back on the billing page with the credits' own marker, so it waits for the grant and says so (not "plan active").
        var back = await PayAsync(url);
        Assert.Equal($"{PlatformStripeApp.PublicBase}/billing?checkout=credits", back.AbsoluteUri);
        Assert.Equal(2_000, await CreditsAsync(tenant.Id));

        // The same delivery again, and the same session in a new event (Stripe's retries and its async twin).
        var completed = Stripe.Delivered.Last(d => d.Type == "checkout.session.completed" && d.Json.Contains(tenant.Id.ToString()));
        var sessionObject = JsonNode.Parse(completed.Json)!["data"]!["object"]!.AsObject();
        var (json, _) = (completed.Json, "");
        var again = await Stripe.PostSignedAsync(() => App.CreateClient(), json,
            global::Stripe.EventUtility.GenerateSignatureHeader(json, PlatformStripeApp.WebhookSecret, DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        var twin = await Stripe.SendEventAsync("checkout.session.async_payment_succeeded", sessionObject.DeepClone().AsObject());

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(HttpStatusCode.OK, twin.StatusCode);
        Assert.Equal(2_000, await CreditsAsync(tenant.Id));
        await using var work = App.Scopes.ForTenant(tenant.Id);
        var grant = await work.Db.CreditEntries.AsNoTracking().SingleAsync(e => e.TenantId == tenant.Id);
        Assert.Equal(CreditEntryKind.Grant, grant.Kind);
        Assert.Equal(sessionObject["id"]!.GetValue<string>(), grant.Reference);
        Assert.Equal(App.Clock.GetUtcNow().AddDays(365), grant.ExpiresAt);
        Assert.Equal(1, await ReceiptsAsync(JsonNode.Parse(json)!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Payment_failed_gives_a_grace_period_then_stops_the_bot_and_invoice_paid_restores_it_at_once()
    {
        var (tenant, subscription) = await SubscribedAsync(Plan.Growth);
        var graceDays = 3;

        subscription.Status = "past_due";
        var invoice = FakeStripeApi.Invoice(subscription, "open", attemptCount: 1);
        Assert.Equal(HttpStatusCode.OK, (await Stripe.SendEventAsync("invoice.payment_failed", invoice)).StatusCode);
        // Stripe retries the charge and reports each failure of the same invoice: the owners hear about it once.
        App.Clock.Advance(TimeSpan.FromDays(1));
        invoice["attempt_count"] = 2;
        Assert.Equal(HttpStatusCode.OK, (await Stripe.SendEventAsync("invoice.payment_failed", invoice)).StatusCode);

        var grace = await EntitlementAsync(tenant.Id);
        Assert.Equal(ServiceLevel.Grace, grace.Service);
        Assert.Equal(BillingStatus.PastDue, grace.Status);
        var mails = await MailSubjectsAsync(OwnerEmail(tenant));
        Assert.Single(mails, s => s.StartsWith("No pudimos cobrar", StringComparison.Ordinal));

        App.Clock.Advance(TimeSpan.FromDays(graceDays));
        var stopped = await EntitlementAsync(tenant.Id);
        Assert.Equal(ServiceLevel.Stopped, stopped.Service);
        Assert.Equal(StopReason.PaymentOverdue, stopped.Stopped);

        subscription.Status = "active";
        Assert.Equal(HttpStatusCode.OK, (await Stripe.SendEventAsync("invoice.paid", FakeStripeApi.Invoice(subscription, "paid", (string)invoice["id"]!))).StatusCode);
        var restored = await EntitlementAsync(tenant.Id);
        Assert.Equal(ServiceLevel.Full, restored.Service);
        Assert.Equal(BillingStatus.Active, restored.Status);
    }

    [Fact]
    public async Task Canceled_in_stripe_stops_the_bot()
    {
        var (tenant, subscription) = await SubscribedAsync(Plan.Starter);

        subscription.Status = "canceled";
        var response = await Stripe.SendEventAsync("customer.subscription.deleted", subscription.ToJson());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var entitlement = await EntitlementAsync(tenant.Id);
        Assert.Equal(ServiceLevel.Stopped, entitlement.Service);
        Assert.Equal(StopReason.Canceled, entitlement.Stopped);
    }

    [Fact]
    public async Task When_stripe_cannot_be_asked_the_event_is_refused_with_503_and_its_retry_applies_it()
    {
        var tenant = await App.TenantAsync(plan: Plan.Starter);
        var subscription = Stripe.CreateSubscription("cus_" + Guid.NewGuid().ToString("N")[..10], PlatformStripeApp.PriceOf(Plan.Pro),
            new Dictionary<string, string> { ["tenant_id"] = tenant.Id.ToString() });
        var (json, signature) = FakeStripeApi.SignedEvent("customer.subscription.created", subscription.ToJson(), PlatformStripeApp.WebhookSecret);

        Stripe.SubscriptionReadsFail = true;
        HttpResponseMessage refused;
        try
        {
            refused = await Stripe.PostSignedAsync(() => App.CreateClient(), json, signature);
        }
        finally
        {
            Stripe.SubscriptionReadsFail = false;
        }
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(0, await ReceiptsAsync(JsonNode.Parse(json)!["id"]!.GetValue<string>()));

        var retried = await Stripe.PostSignedAsync(() => App.CreateClient(), json, signature);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(Plan.Pro, await PlanAsync(tenant.Id));
    }

    [Fact]
    public async Task The_portal_opens_for_the_tenants_customer_and_returns_to_the_billing_page()
    {
        var tenant = await App.TenantAsync(plan: Plan.Starter);

        var response = await Api().PostAsync($"/api/v1/tenants/{tenant.Id}/billing/portal", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith(Stripe.BaseUrl + "/p/session/bps_", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("url").GetString());
        var portal = Stripe.Requests.Last(r => r.Path == "/v1/billing_portal/sessions");
        Assert.Equal((await SubscriptionAsync(tenant.Id))!.StripeCustomerId, portal.Form["customer"]);
        Assert.Equal($"{PlatformStripeApp.PublicBase}/billing", portal.Form["return_url"]);
    }

    [Fact]
    public async Task An_unknown_plan_or_pack_is_a_400_problem_in_the_callers_language_and_enterprise_is_not_sold_online()
    {
        var tenant = await App.TenantAsync(plan: Plan.Starter);
        var api = Api("es");

        var enterprise = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/billing/checkout", new { plan = "enterprise" });
        var nonsense = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/billing/checkout", new { plan = "gold" });
        var pack = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/billing/credits/checkout", new { pack = "replies-7" });

        Assert.Equal(HttpStatusCode.BadRequest, enterprise.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, nonsense.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, pack.StatusCode);
        Assert.Contains("Elige un plan", (await nonsense.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Contains("replies-7", (await pack.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.DoesNotContain(Stripe.Requests, r => r.Form.GetValueOrDefault("client_reference_id") == tenant.Id.ToString());
    }

    [Fact]
    public async Task A_trial_reminds_the_owners_two_days_before_its_end_then_says_it_ended_each_once()
    {
        var tenant = await App.TenantAsync(plan: Plan.Starter);
        var endsAt = App.Clock.GetUtcNow().AddDays(7);
        await using (var work = App.Scopes.ForTenant(tenant.Id))
        {
            var row = await work.Db.Tenants.SingleAsync(t => t.Id == tenant.Id);
            row.StartTrial(endsAt);
            await work.Db.SaveChangesAsync();
        }
        var notices = App.Services.GetRequiredService<TrialNotices>();
        int Trial(List<string> subjects, string start) => subjects.Count(s => s.StartsWith(start, StringComparison.Ordinal));

        await notices.RunAsync();
        Assert.Equal(0, Trial(await MailSubjectsAsync(OwnerEmail(tenant)), "La prueba"));

        App.Clock.Advance(TimeSpan.FromDays(5) + TimeSpan.FromMinutes(1));
        await notices.RunAsync();
        await notices.RunAsync(); // a second node's sweep, or the next one
        var reminded = await MailSubjectsAsync(OwnerEmail(tenant));
        Assert.Equal(1, Trial(reminded, $"La prueba de {tenant.Slug} termina pronto"));
        Assert.Equal(ServiceLevel.Full, (await EntitlementAsync(tenant.Id)).Service);

        App.Clock.Advance(TimeSpan.FromDays(2));
        await notices.RunAsync();
        await notices.RunAsync();
        var ended = await MailSubjectsAsync(OwnerEmail(tenant));
        Assert.Equal(1, Trial(ended, $"La prueba de {tenant.Slug} terminó"));
        Assert.Equal(1, Trial(ended, $"La prueba de {tenant.Slug} termina pronto"));
        var entitlement = await EntitlementAsync(tenant.Id);
        Assert.Equal(StopReason.TrialEnded, entitlement.Stopped);
        await using var system = App.Scopes.ForSystem("test");
        Assert.Equal(1, await system.Db.SystemEvents.CountAsync(e => e.TenantId == tenant.Id && e.MessageKey == "SystemEvent.BillingTrialEnded"));
    }

    [Fact]
    public async Task Stripes_trial_will_end_event_mails_the_owners_once()
    {
        var (tenant, subscription) = await SubscribedAsync(Plan.Starter);
        subscription.Status = "trialing";
        subscription.TrialEnd = App.Clock.GetUtcNow().AddDays(3);

        await Stripe.SendEventAsync("customer.subscription.trial_will_end", subscription.ToJson());
        await Stripe.SendEventAsync("customer.subscription.trial_will_end", subscription.ToJson());

        Assert.Single(await MailSubjectsAsync(OwnerEmail(tenant)), s => s.StartsWith($"La prueba de {tenant.Slug} termina pronto", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_price_no_plan_names_keeps_the_plan_and_warns_the_platform()
    {
        var tenant = await App.TenantAsync(plan: Plan.Starter);
        var subscription = Stripe.CreateSubscription("cus_" + Guid.NewGuid().ToString("N")[..10], "price_legacy_2019",
            new Dictionary<string, string> { ["tenant_id"] = tenant.Id.ToString() });

        var response = await Stripe.SendEventAsync("customer.subscription.created", subscription.ToJson());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Plan.Starter, await PlanAsync(tenant.Id));
        Assert.Equal(SubscriptionStatus.Active, (await SubscriptionAsync(tenant.Id))!.Status);
        await using var system = App.Scopes.ForSystem("test");
        var warning = await system.Db.SystemEvents.SingleAsync(e => e.TenantId == tenant.Id && e.MessageKey == "SystemEvent.BillingUnknownPrice");
        Assert.Contains("price_legacy_2019", warning.Message);
    }
}
