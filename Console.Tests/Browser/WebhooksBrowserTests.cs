using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Integrations;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>The browser app, with loopback allowlisted so a local receiver can stand for the tenant's system.</summary>
public sealed class WebhooksBrowserAppFactory() : ConsoleAppFactory(null, new Dictionary<string, string?>
{
    ["Network:PrivateAllowlist:0"] = "127.0.0.1",
    ["OutboundWebhooks:PollMilliseconds"] = "100",
})
{
    protected override bool SeedDemo => true;
    protected override bool UseRealSocket => true;
}

/// <summary>The owner's webhooks screen in Spanish: subscribe, see the secret once, read the delivery log, replay.</summary>
public class WebhooksBrowserTests(WebhooksBrowserAppFactory app, BrowserFixture browser)
    : IClassFixture<WebhooksBrowserAppFactory>, IClassFixture<BrowserFixture>
{
    private const string Password = "Owner!Hooks1";

    private async Task<IPage> SignedInAsync(string email, string locale, int width, int height)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.ServerAddress.ToString(), Locale = locale, ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/Account/Login?returnUrl={Uri.EscapeDataString("/settings/webhooks")}");
        var spanish = locale.StartsWith("es");
        await page.GetByLabel(spanish ? "Correo electrónico" : "E-mail").FillAsync(email);
        await page.GetByLabel(spanish ? "Contraseña" : "Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = spanish ? "Entrar" : "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**/settings/webhooks");
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return page;
    }

    private async Task<OutboundDeliveryStatus?> StatusAsync(Guid tenantId)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        return await work.Db.OutboundWebhookDeliveries.AsNoTracking().Select(d => (OutboundDeliveryStatus?)d.Status).FirstOrDefaultAsync();
    }

    [Fact]
    public async Task Owner_subscribes_sees_the_secret_once_reads_the_delivery_log_and_replays_a_delivery()
    {
        await using var receiver = await FakeWebhookReceiver.StartAsync();
        var tenant = await app.TenantAsync(password: Password);
        var email = $"{tenant.Slug}@owner.test";
        var page = await SignedInAsync(email, "es-MX", 1366, 800);
        await Assertions.Expect(page.GetByText("Aún no hay suscripciones.")).ToBeVisibleAsync();

        await page.Locator("[data-testid=webhook-url] input, input[data-testid=webhook-url]").First.FillAsync(receiver.Url("/ok").ToString());
        await page.GetByLabel("Mensaje recibido").CheckAsync();
        await page.GetByTestId("create-webhook").ClickAsync();
        await Assertions.Expect(page.GetByTestId("webhook-secret-value")).ToContainTextAsync("whsec_");
        var row = page.GetByTestId("webhook").Filter(new() { HasText = receiver.Url("/ok").ToString() });
        await Assertions.Expect(row).ToContainTextAsync("Activa");
        await Assertions.Expect(row).ToContainTextAsync("Lead nuevo");

        // A new lead in this workspace: its event goes to the receiver.
        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            var contact = Contact.Create(tenant.Id, "Lucía Pérez", null, DateTimeOffset.UtcNow);
            work.Db.Contacts.Add(contact);
            work.Db.Raise(new LeadCreated(tenant.Id, contact.Id, "test"));
            await work.Db.SaveChangesAsync();
        }
        await Eventually.TrueAsync(async () => await StatusAsync(tenant.Id) == OutboundDeliveryStatus.Delivered, "delivered");

        await row.GetByRole(AriaRole.Button, new() { Name = "Entregas" }).ClickAsync();
        var log = page.GetByTestId("delivery-log");
        var entry = log.GetByRole(AriaRole.Row).Filter(new() { HasText = "Lead nuevo" });
        await Assertions.Expect(entry).ToContainTextAsync("Entregada");
        await Assertions.Expect(entry).ToContainTextAsync("200");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("webhooks-desktop-es.png"), FullPage = true });

        await entry.GetByRole(AriaRole.Button, new() { Name = "Reenviar" }).ClickAsync();
        var sent = await Eventually.GetAsync(() => Task.FromResult(receiver.To("/ok")), r => r.Count == 2, "the replayed delivery");
        Assert.Single(sent.Select(r => r.Headers["X-Console-Event-Id"]).Distinct());
        Assert.Equal("lead.created", JsonDocument.Parse(sent[1].Body).RootElement.GetProperty("type").GetString());
        await Eventually.TrueAsync(async () => await StatusAsync(tenant.Id) == OutboundDeliveryStatus.Delivered, "replay delivered");
        await log.GetByRole(AriaRole.Button, new() { Name = "Actualizar" }).ClickAsync();
        await Assertions.Expect(entry.GetByRole(AriaRole.Cell).Filter(new() { HasTextRegex = new System.Text.RegularExpressions.Regex("^2$") }))
            .ToHaveCountAsync(1);

        // Shown once: after a reload the secret is nowhere on the page.
        var secret = (await page.GetByTestId("webhook-secret-value").TextContentAsync())!.Trim();
        await page.ReloadAsync();
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await Assertions.Expect(row).ToBeVisibleAsync();
        Assert.DoesNotContain(secret, await page.ContentAsync());

        // Pause, then delete with confirmation.
        await row.GetByRole(AriaRole.Button, new() { Name = "Pausar" }).ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("En pausa");

        // The same screen on a phone and in English, for the screenshots.
        foreach (var (locale, width, height, name) in new[] { ("es-MX", 390, 844, "webhooks-phone-es.png"), ("en-US", 390, 844, "webhooks-phone-en.png"),
                     ("en-US", 1366, 800, "webhooks-desktop-en.png") })
        {
            var other = await SignedInAsync(email, locale, width, height);
            await other.GetByRole(AriaRole.Button, new() { Name = locale == "es-MX" ? "Entregas" : "Deliveries" }).First.ClickAsync();
            await Assertions.Expect(other.GetByTestId("delivery-log")).ToContainTextAsync(locale == "es-MX" ? "Entregada" : "Delivered");
            // The phone shots scroll to the log: a full-page shot would paint the fixed top bar mid-page.
            if (width < 600) await other.GetByTestId("delivery-log").ScrollIntoViewIfNeededAsync();
            await other.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath(name), FullPage = width >= 600 });
            await other.Context.CloseAsync();
        }

        await row.GetByRole(AriaRole.Button, new() { Name = "Eliminar" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Eliminar" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Aún no hay suscripciones.")).ToBeVisibleAsync();
        await using var check = app.Scopes.ForTenant(tenant.Id);
        Assert.Equal(0, await check.Db.OutboundWebhooks.CountAsync());
    }
}
