using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Billing;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Inbox;
using OperatorConsole.Tests.CommandCenter;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>
/// Platform billing as people see it in a real browser, in Spanish: the owner's billing page (plan, meters from usage
/// rows, chart, plans, credit ledger), the banner a past-due or stopped workspace shows every member, the upgrade prompt
/// on a Starter workspace's replay tab, and the super admin's billing overview with an audited plan override and grant.
/// </summary>
public class BillingBrowserTests(BrowserAppFactory app, BrowserFixture browser)
    : IClassFixture<BrowserAppFactory>, IClassFixture<BrowserFixture>
{
    private const string Password = "Billing!2345";

    /// <summary>A zone where it is now between 03:00 and 21:00, so "today" holds what the test writes in the last two hours.</summary>
    private static string DaytimeZone()
    {
        foreach (var id in new[] { "America/Mexico_City", "Asia/Tokyo", "Europe/Madrid" })
            if (TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById(id)).Hour is >= 3 and < 21) return id;
        return "Pacific/Auckland";
    }

    /// <summary>A workspace of its own on <paramref name="plan"/>, in a daytime zone, with a Spanish-speaking owner.</summary>
    private async Task<(Guid TenantId, string Name, string OwnerEmail)> WorkspaceAsync(Plan plan, DateTimeOffset? trialEndsAt = null)
    {
        var name = TestData.Unique("Cafetería");
        var tenant = await app.TenantAsync(name);
        var owner = await app.MemberAsync(tenant.Id, "Olivia Dueñas", TenantRole.Owner, Password, "es");
        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            var row = await work.Db.Tenants.SingleAsync(t => t.Id == tenant.Id);
            row.SetLocale(DaytimeZone(), "es");
            row.ChangePlan(plan);
            if (trialEndsAt is { } end) row.StartTrial(end);
            await work.Db.SaveChangesAsync();
        }
        return (tenant.Id, name, await app.EmailOfAsync(tenant.Id, owner.MemberId!.Value));
    }

    private async Task SaveAsync(Guid tenantId, params object[] rows)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        foreach (var row in rows) work.Db.Add(row);
        await work.Db.SaveChangesAsync();
    }

    /// <summary>A subscription as Stripe's events would have left it, in <paramref name="status"/> since <paramref name="since"/>.</summary>
    private async Task SubscriptionAsync(Guid tenantId, SubscriptionStatus status, DateTimeOffset since)
    {
        var now = DateTimeOffset.UtcNow;
        var subscription = Subscription.Create(tenantId, now);
        subscription.SetCustomer($"cus_{Guid.NewGuid():N}", now);
        subscription.Apply($"sub_{Guid.NewGuid():N}", status, "price_test", now.AddDays(25), false, since, now);
        await SaveAsync(tenantId, subscription);
    }

    /// <summary>A super admin of the test's own who reads Spanish.</summary>
    private async Task<string> SuperAdminAsync(string culture = "es") => (await app.SuperAdminAsync(culture, Password)).Email;

    private Task<IPage> SignInAsync(string email, string returnUrl, int width = 1366, int height = 900, string locale = "es-MX", string? password = null) =>
        browser.SignInAsync(app.ServerAddress, email, password ?? Password, returnUrl, locale, width, height);

    [Fact]
    public async Task An_owner_reads_plan_trial_meters_chart_plans_and_the_credit_ledger_in_Spanish()
    {
        var now = DateTimeOffset.UtcNow;
        var (tenantId, _, email) = await WorkspaceAsync(Plan.Starter, now.AddDays(5).AddHours(1));
        var rows = new List<object>();
        var conversation = Guid.NewGuid();
        for (var i = 0; i < 12; i++) rows.Add(AiReplyUsage.Record(tenantId, conversation, Guid.NewGuid(), ReplyFunding.Plan, now.AddMinutes(-90 + i)));
        for (var i = 0; i < 3; i++) rows.Add(AiReplyUsage.Record(tenantId, conversation, Guid.NewGuid(), ReplyFunding.Plan, now.AddDays(-4).AddMinutes(i)));
        rows.Add(TokenUsage.Record(tenantId, conversation, "openai", "gpt-test", LlmFeature.Reply, 1_000, 500, 0.12m, now.AddMinutes(-30)));
        rows.Add(CreditEntry.Grant(tenantId, 500, "cs_test_pack", now.AddDays(365), "stripe", null, now.AddDays(-2)));
        rows.Add(CreditEntry.Consume(tenantId, "usage-1", now.AddMinutes(-20)));
        rows.Add(CreditEntry.Consume(tenantId, "usage-2", now.AddMinutes(-10)));
        await SaveAsync(tenantId, [.. rows]);

        var page = await SignInAsync(email, "/billing?plan=pro");

        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Facturación", Level = 1 })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("plan-name")).ToHaveTextAsync("Inicial");
        await Assertions.Expect(page.GetByTestId("plan-status")).ToHaveTextAsync("Prueba gratuita");
        await Assertions.Expect(page.GetByTestId("plan-status-text")).ToContainTextAsync("Prueba gratuita: quedan 6 días");
        await Assertions.Expect(page.GetByTestId("meter-today-numbers")).ToHaveTextAsync("12 de 100");
        var zone = TimeZoneInfo.FindSystemTimeZoneById(DaytimeZone());
        var month = TimeZoneInfo.ConvertTime(now, zone).Month == TimeZoneInfo.ConvertTime(now.AddDays(-4), zone).Month ? 15 : 12;
        await Assertions.Expect(page.GetByTestId("meter-month-numbers")).ToHaveTextAsync(new Regex($"^{month} de 3[.,]000$"));
        await Assertions.Expect(page.GetByTestId("today-tokens")).ToContainTextAsync(new Regex(@"1[.,]500 tokens"));
        await Assertions.Expect(page.GetByTestId("today-tokens")).ToContainTextAsync(new Regex(@"US\$ 0[.,]12"));
        await Assertions.Expect(page.GetByTestId("usage-chart").Locator("svg").First).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("cost-chart").Locator("svg").First).ToBeVisibleAsync();

        // The plans side by side: the current one marked, the one an upgrade prompt asked for highlighted.
        await Assertions.Expect(page.Locator("[data-testid=plan-option][data-plan=Starter]")).ToHaveAttributeAsync("data-current", "true");
        await Assertions.Expect(page.Locator("[data-testid=plan-option][data-plan=Pro]")).ToHaveAttributeAsync("data-highlighted", "true");
        await Assertions.Expect(page.Locator("[data-testid=plan-option][data-plan=Pro]")).ToContainTextAsync("US$ 199 / mes");
        await Assertions.Expect(page.Locator("[data-testid=plan-option][data-plan=Enterprise]")).ToContainTextAsync("Contáctanos");
        // No Stripe keys on this server: a clear note, and nothing to click that would fail.
        await Assertions.Expect(page.GetByTestId("billing-not-configured")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Mejorar a Pro" })).ToBeDisabledAsync();

        // Credits: the balance is the ledger's sum; newest movement first.
        await Assertions.Expect(page.GetByTestId("credit-balance")).ToHaveTextAsync("Saldo: 498 respuestas");
        var kinds = page.GetByTestId("ledger-kind");
        await Assertions.Expect(kinds).ToHaveCountAsync(3);
        await Assertions.Expect(kinds.First).ToHaveAttributeAsync("data-kind", "Consume");
        await Assertions.Expect(kinds.Last).ToContainTextAsync("Abono");
        await Assertions.Expect(page.GetByTestId("ledger-replies").Last).ToHaveTextAsync("+500");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("billing-owner-desktop-es.png"), FullPage = true });
    }

    [Fact]
    public async Task A_past_due_workspace_shows_every_member_when_the_bot_stops_and_a_stopped_one_says_conversations_come_to_them()
    {
        var (tenantId, _, ownerEmail) = await WorkspaceAsync(Plan.Growth);
        await SubscriptionAsync(tenantId, SubscriptionStatus.PastDue, DateTimeOffset.UtcNow.AddDays(-1));
        var agent = await app.MemberAsync(tenantId, "Ana Agente", TenantRole.Agent, Password, "es");
        var agentEmail = await app.EmailOfAsync(tenantId, agent.MemberId!.Value);

        var page = await SignInAsync(agentEmail, "/inbox");
        var banner = page.GetByTestId("billing-banner");
        await Assertions.Expect(banner).ToHaveAttributeAsync("data-kind", "past-due");
        await Assertions.Expect(banner).ToContainTextAsync("El pago falló: el bot se detiene el");
        // An agent cannot fix it: no link to billing (agents do not have the page), but it can be put away.
        await Assertions.Expect(banner.GetByRole(AriaRole.Link)).ToHaveCountAsync(0);
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("billing-banner-past-due-agent-es.png") });
        await banner.GetByRole(AriaRole.Button, new() { Name = "Cerrar aviso" }).ClickAsync();
        await Assertions.Expect(banner).ToHaveCountAsync(0);
        // Put away for the day in this browser, not just for this page: a reload (a new circuit) keeps it away.
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByTestId("billing-banner-read")).ToBeAttachedAsync();
        await Assertions.Expect(banner).ToHaveCountAsync(0);

        var owner = await SignInAsync(ownerEmail, "/inbox");
        var fix = owner.GetByTestId("billing-banner").GetByRole(AriaRole.Link, new() { Name = "Actualizar método de pago" });
        await Assertions.Expect(fix).ToHaveAttributeAsync("href", "billing");

        // A canceled subscription: the bot stopped; members are told what it means for them, and the notice stays.
        var (stoppedId, _, _) = await WorkspaceAsync(Plan.Starter);
        await SubscriptionAsync(stoppedId, SubscriptionStatus.Canceled, DateTimeOffset.UtcNow.AddHours(-1));
        var stoppedAgent = await app.MemberAsync(stoppedId, "Beto Agente", TenantRole.Agent, Password, "es");
        var stopped = await SignInAsync(await app.EmailOfAsync(stoppedId, stoppedAgent.MemberId!.Value), "/inbox", 390, 844);
        var stoppedBanner = stopped.GetByTestId("billing-banner");
        await Assertions.Expect(stoppedBanner).ToContainTextAsync("La suscripción se canceló: el bot ya no responde a los clientes.");
        await Assertions.Expect(stoppedBanner).ToContainTextAsync("Las conversaciones nuevas llegan a ti");
        await Assertions.Expect(stoppedBanner.GetByRole(AriaRole.Button, new() { Name = "Cerrar aviso" })).ToHaveCountAsync(0);
        await stopped.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("billing-banner-stopped-agent-phone-es.png") });
    }

    [Fact]
    public async Task A_starter_owner_finds_replay_evaluation_disabled_under_an_upgrade_prompt_that_leads_to_the_pro_plan()
    {
        var (_, _, email) = await WorkspaceAsync(Plan.Starter);

        var page = await SignInAsync(email, "/agent");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Repetición" }).ClickAsync();

        var prompt = page.GetByTestId("upgrade-prompt");
        await Assertions.Expect(prompt).ToBeVisibleAsync();
        await Assertions.Expect(prompt).ToContainTextAsync("Disponible en el plan Pro.");
        await Assertions.Expect(prompt).ToHaveAttributeAsync("data-feature", "ReplayEvaluation");
        // Shown, not hidden: the replay controls are there, disabled.
        var gated = page.GetByTestId("plan-gated");
        await Assertions.Expect(gated.GetByTestId("replay-start")).ToBeVisibleAsync();
        await Assertions.Expect(gated.GetByTestId("replay-start")).ToBeDisabledAsync();
        await Assertions.Expect(gated.Locator("input").First).ToBeDisabledAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("billing-upgrade-prompt-replay-es.png") });

        await prompt.GetByRole(AriaRole.Link, new() { Name = "Mejorar plan" }).ClickAsync();
        await page.WaitForURLAsync("**/billing?plan=pro");
        await Assertions.Expect(page.Locator("[data-testid=plan-option][data-plan=Pro]")).ToHaveAttributeAsync("data-highlighted", "true");
    }

    [Fact]
    public async Task A_super_admin_overrides_a_plan_with_a_reason_and_grants_credits_and_both_are_audited()
    {
        var (tenantId, name, _) = await WorkspaceAsync(Plan.Starter);

        var admin = await SuperAdminAsync();
        var page = await SignInAsync(admin, "/admin/billing");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Facturación de la plataforma", Level = 1 })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("chart-by-plan").Locator("svg").First).ToBeVisibleAsync();
        await page.GetByLabel("Buscar un espacio").FillAsync(name);
        await Assertions.Expect(page.GetByTestId("billing-tenant-name")).ToHaveCountAsync(1);
        await page.GetByRole(AriaRole.Button, new() { Name = $"Facturación de {name}" }).ClickAsync();
        var panel = page.GetByTestId("tenant-billing-actions");

        // Without a reason nothing changes.
        await panel.GetByTestId("override-save").ClickAsync();
        await Assertions.Expect(panel.GetByRole(AriaRole.Alert)).ToContainTextAsync("Escribe por qué cambia el plan");

        await panel.GetByRole(AriaRole.Radio, new() { Name = "Pro", Exact = true }).CheckAsync();
        await panel.GetByLabel("Motivo (queda en la bitácora)").FillAsync("Cliente piloto, acuerdo comercial");
        await panel.GetByTestId("override-save").ClickAsync();
        await Assertions.Expect(page.GetByTestId("billing-tenant-plan")).ToHaveTextAsync("Pro");

        await panel.GetByLabel("Respuestas de IA").FillAsync("250");
        await panel.GetByLabel("Nota").FillAsync("Compensación por la caída del lunes");
        await panel.GetByTestId("grant-save").ClickAsync();
        await Assertions.Expect(page.GetByTestId("billing-tenant-credits")).ToHaveTextAsync("250");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("billing-admin-desktop-es.png"), FullPage = true });

        await using var work = app.Scopes.ForSystem("test");
        Assert.Equal(Plan.Pro, (await work.Db.Tenants.SingleAsync(t => t.Id == tenantId)).Plan);
        Assert.Equal(250, await work.Db.CreditEntries.Where(e => e.TenantId == tenantId).SumAsync(e => e.Replies));
        var audit = await work.Db.AuditEntries.Where(a => a.TenantId == tenantId && a.Action.StartsWith("billing.")).ToListAsync();
        Assert.Contains(audit, a => a.Action == "billing.plan_override" && a.Details == "Cliente piloto, acuerdo comercial" && a.Actor == admin
            && a.After!.Contains("Pro"));
        Assert.Contains(audit, a => a.Action == "billing.credit_grant" && a.Details!.Contains("250 replies") && a.Details.Contains("Compensación"));
    }

    [Fact]
    [Trait("Category", "Screenshots")]
    public async Task Screenshots_of_the_billing_page_banner_and_overview_on_a_laptop_and_a_phone_in_both_languages()
    {
        var now = DateTimeOffset.UtcNow;
        var (tenantId, _, email) = await WorkspaceAsync(Plan.Growth);
        await SubscriptionAsync(tenantId, SubscriptionStatus.PastDue, now.AddDays(-1));
        var rows = new List<object>();
        var conversation = Guid.NewGuid();
        for (var d = 0; d < 20; d++)
            for (var i = 0; i < (d * 7) % 23 + 3; i++)
                rows.Add(AiReplyUsage.Record(tenantId, conversation, Guid.NewGuid(), ReplyFunding.Plan, now.AddDays(-d).AddMinutes(-30 - i)));
        for (var d = 0; d < 20; d++)
            rows.Add(TokenUsage.Record(tenantId, conversation, "openai", "gpt-test", LlmFeature.Reply, 20_000 + d * 900, 4_000, 0.05m + d * 0.01m, now.AddDays(-d).AddMinutes(-20)));
        for (var i = 0; i < 260; i++) rows.Add(AiReplyUsage.Record(tenantId, conversation, Guid.NewGuid(), ReplyFunding.Plan, now.AddMinutes(-100 + i * 0.3)));
        rows.Add(CreditEntry.Grant(tenantId, 2_000, "cs_test_shot", now.AddDays(365), "stripe", null, now.AddDays(-3)));
        for (var i = 0; i < 14; i++) rows.Add(CreditEntry.Consume(tenantId, $"usage-shot-{i}", now.AddMinutes(-60 + i)));
        await SaveAsync(tenantId, [.. rows]);

        // Each language with a person who reads it (sign-in opens the console in the person's language).
        var english = await app.MemberAsync(tenantId, "Owen Owner", TenantRole.Owner, Password, "en");
        var emails = new Dictionary<string, string> { ["es"] = email, ["en"] = await app.EmailOfAsync(tenantId, english.MemberId!.Value) };
        foreach (var (locale, lang) in new[] { ("es-MX", "es"), ("en-US", "en") })
        {
            email = emails[lang];
            var laptop = await SignInAsync(email, "/billing?plan=pro", locale: locale);
            await Assertions.Expect(laptop.GetByTestId("usage-chart").Locator("svg").First).ToBeVisibleAsync();
            await laptop.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"billing-page-desktop-{lang}.png"), FullPage = true });
            var phone = await SignInAsync(email, "/billing", 390, 844, locale);
            await Assertions.Expect(phone.GetByTestId("usage-chart").Locator("svg").First).ToBeVisibleAsync();
            await phone.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"billing-page-phone-{lang}.png"), FullPage = true });
            var inbox = await SignInAsync(email, "/inbox", 390, 844, locale);
            await Assertions.Expect(inbox.GetByTestId("billing-banner")).ToBeVisibleAsync();
            await inbox.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"billing-banner-phone-{lang}.png") });
        }

        foreach (var (locale, lang) in new[] { ("es-MX", "es"), ("en-US", "en") })
        {
            var admin = await SuperAdminAsync(lang);
            var laptop = await SignInAsync(admin, "/admin/billing", locale: locale);
            await Assertions.Expect(laptop.GetByTestId("chart-by-plan").Locator("svg").First).ToBeVisibleAsync();
            await laptop.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"billing-admin-desktop-{lang}.png"), FullPage = true });
            var phone = await SignInAsync(admin, "/admin/billing", 390, 844, locale);
            await Assertions.Expect(phone.GetByTestId("chart-by-plan").Locator("svg").First).ToBeVisibleAsync();
            await phone.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"billing-admin-phone-{lang}.png"), FullPage = true });
        }
    }
}

/// <summary>The app on a real socket billing through the fake Stripe (hosted Checkout page, signed events posted back).</summary>
public sealed class StripeBrowserApp : IAsyncLifetime
{
    public const string SecretKey = "sk_test_platform_browser_0123456789";
    public const string WebhookSecret = "whsec_platform_browser_0123456789";
    /// <summary>The public address Stripe sends the browser back to; the test routes it to the app's socket (the proxy's job).</summary>
    public const string PublicBase = "https://console.example.test";

    public FakeStripeApi Stripe { get; private set; } = default!;
    public ConsoleAppFactory App { get; private set; } = default!;

    private sealed class Factory(IReadOnlyDictionary<string, string?> settings) : ConsoleAppFactory(null, settings)
    {
        protected override bool UseRealSocket => true;
    }

    public async Task InitializeAsync()
    {
        Stripe = await FakeStripeApi.StartAsync();
        Stripe.AcceptKey(SecretKey, "Console platform");
        App = new Factory(new Dictionary<string, string?>
        {
            ["Stripe:ApiBase"] = Stripe.BaseUrl,
            ["Stripe:SecretKey"] = SecretKey,
            ["Stripe:WebhookSecret"] = WebhookSecret,
            ["Stripe:Prices:Starter"] = "price_starter_browser",
            ["Stripe:Prices:Growth"] = "price_growth_browser",
            ["Stripe:Prices:Pro"] = "price_pro_browser",
            ["Platform:PublicBaseUrl"] = PublicBase,
        });
        await App.InitializeAsync();
        Stripe.ConnectApp(() => new HttpClient { BaseAddress = App.ServerAddress }, WebhookSecret);
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Stripe.DisposeAsync();
    }
}

/// <summary>End to end: an owner in a trial upgrades through Stripe Checkout (the fake's hosted page) and, back on the billing page, sees the new plan and its meters.</summary>
public class BillingCheckoutBrowserTests(StripeBrowserApp billing, BrowserFixture browser)
    : IClassFixture<StripeBrowserApp>, IClassFixture<BrowserFixture>
{
    private const string Password = "Checkout!2345";

    [Fact]
    public async Task An_owner_upgrades_to_pro_through_checkout_and_comes_back_to_the_new_plan_and_its_meters()
    {
        var app = billing.App;
        var tenant = await app.TenantAsync(TestData.Unique("Panadería"));
        var owner = await app.MemberAsync(tenant.Id, "Olivia Dueñas", TenantRole.Owner, Password, "es");
        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            var row = await work.Db.Tenants.SingleAsync(t => t.Id == tenant.Id);
            row.ChangePlan(Plan.Starter);
            row.StartTrial(DateTimeOffset.UtcNow.AddDays(3));
            work.Db.Add(AiReplyUsage.Record(tenant.Id, Guid.NewGuid(), Guid.NewGuid(), ReplyFunding.Plan, DateTimeOffset.UtcNow.AddMinutes(-5)));
            await work.Db.SaveChangesAsync();
        }
        var email = await app.EmailOfAsync(tenant.Id, owner.MemberId!.Value);

        var page = await browser.SignInAsync(app.ServerAddress, email, Password, "/billing", "es-MX", 1366, 900);
        // Stripe sends the browser to the public address; here the app's own socket stands behind it.
        await page.Context.RouteAsync(StripeBrowserApp.PublicBase + "/**", async route =>
        {
            var back = new Uri(route.Request.Url);
            await route.FulfillAsync(new() { Status = 302, Headers = new Dictionary<string, string> { ["Location"] = new Uri(app.ServerAddress, back.PathAndQuery).ToString() } });
        });
        await Assertions.Expect(page.GetByTestId("plan-name")).ToHaveTextAsync("Inicial");
        await Assertions.Expect(page.GetByTestId("billing-not-configured")).ToHaveCountAsync(0);

        await page.GetByRole(AriaRole.Button, new() { Name = "Mejorar a Pro" }).ClickAsync();
        await page.WaitForURLAsync(url => url.StartsWith(billing.Stripe.BaseUrl));
        await Assertions.Expect(page.Locator("#item")).ToContainTextAsync("price_pro_browser");
        await page.GetByRole(AriaRole.Button, new() { Name = "Pay" }).ClickAsync();

        await page.WaitForURLAsync(url => url.Contains("/billing?checkout=success"));
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await Assertions.Expect(page.GetByTestId("checkout-confirmed")).ToHaveTextAsync("Pago confirmado: tu plan está activo.");
        await Assertions.Expect(page.GetByTestId("plan-name")).ToHaveTextAsync("Pro");
        await Assertions.Expect(page.GetByTestId("plan-status")).ToHaveTextAsync("Activa");
        await Assertions.Expect(page.GetByTestId("plan-status-text")).ToContainTextAsync("Se renueva el");
        await Assertions.Expect(page.GetByTestId("meter-today-numbers")).ToHaveTextAsync(new Regex(@"^1 de 1[.,]000$"));
        await Assertions.Expect(page.GetByTestId("meter-month-numbers")).ToHaveTextAsync(new Regex(@"^1 de 30[.,]000$"));
        await Assertions.Expect(page.Locator("[data-testid=plan-option][data-plan=Pro]")).ToHaveAttributeAsync("data-current", "true");
        await Assertions.Expect(page.GetByTestId("open-portal")).ToBeEnabledAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("billing-after-checkout-desktop-es.png"), FullPage = true });
    }
}
