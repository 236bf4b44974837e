using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>
/// The demo as a new owner finds it, with no AI model configured (no Llm:ApiKey): the quiet banner, a conversation with
/// the rule-based agent in the customer simulator, and the contact panel's summary of it.
/// </summary>
public class OfflineAgentBrowserTests(BrowserAppFactory app, BrowserFixture browser)
    : IClassFixture<BrowserAppFactory>, IClassFixture<BrowserFixture>
{
    private static readonly LocatorAssertionsToBeVisibleOptions Slow = new() { Timeout = 20000 };

    private async Task<IPage> SignInAsync(string email, string returnUrl, string locale = "es-MX", int width = 1440, int height = 900)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.ServerAddress.ToString(), Locale = locale, ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/Account/Login?returnUrl={Uri.EscapeDataString(returnUrl)}");
        await page.GetByLabel(locale.StartsWith("es") ? "Correo electrónico" : "E-mail").FillAsync(email);
        await page.GetByLabel(locale.StartsWith("es") ? "Contraseña" : "Password").FillAsync(DemoSeeder.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = locale.StartsWith("es") ? "Entrar" : "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**" + returnUrl);
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return page;
    }

    private async Task<Guid> ConversationOfAsync(string waId)
    {
        Guid tenantId;
        await using (var system = app.Scopes.ForSystem("test"))
            tenantId = await system.Db.Tenants.Where(t => t.Slug == DemoSeeder.TenantSlug).Select(t => t.Id).SingleAsync();
        await using var work = app.Scopes.ForTenant(tenantId);
        return await (from i in work.Db.ContactIdentities
                      join c in work.Db.Conversations on i.ContactId equals c.ContactId
                      where i.Value == waId
                      select c.Id).SingleAsync();
    }

    [Fact]
    public async Task Owners_see_a_quiet_banner_that_the_agent_runs_without_a_model_and_agents_do_not()
    {
        var owner = await SignInAsync(DemoSeeder.OwnerEmail, "/inbox");
        var banner = owner.GetByTestId("offline-agent-banner");
        await Assertions.Expect(banner).ToContainTextAsync("Tu agente responde sin modelo de IA");
        var link = banner.GetByRole(AriaRole.Link, new() { Name = "Configurar modelo" });
        await Assertions.Expect(link).ToHaveAttributeAsync("href", "agent");
        await owner.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("offline-banner-desktop-es.png") });
        await link.ClickAsync();
        await owner.WaitForURLAsync("**/agent");

        var english = await SignInAsync(DemoSeeder.OwnerEmail, "/inbox", "en-US");
        await Assertions.Expect(english.GetByTestId("offline-agent-banner")).ToContainTextAsync("Your agent answers without an AI model");
        await english.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("offline-banner-desktop-en.png") });

        var phone = await SignInAsync(DemoSeeder.OwnerEmail, "/inbox", width: 390, height: 844);
        var small = phone.GetByTestId("offline-agent-banner");
        await Assertions.Expect(small).ToContainTextAsync("Agente sin modelo de IA");
        Assert.True(await small.EvaluateAsync<bool>("e => e.scrollWidth <= e.clientWidth"), "the banner's text is cut on a phone");
        await phone.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("offline-banner-phone-es.png") });

        var agent = await SignInAsync(DemoSeeder.AgentEmail, "/inbox");
        await Assertions.Expect(agent.GetByTestId("offline-agent-banner")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task In_the_simulator_the_offline_agent_offers_slots_books_the_tapped_one_and_answers_a_price_and_the_inbox_summarises_it()
    {
        var page = await SignInAsync(DemoSeeder.OwnerEmail, "/simulator", width: 1366, height: 900);
        var customerId = "52155" + Random.Shared.Next(10000000, 99999999);
        var idField = page.GetByLabel("Id del cliente en el canal");
        await idField.FillAsync(customerId);
        await idField.BlurAsync();
        var box = page.GetByPlaceholder("Mensaje como cliente");
        var messages = page.GetByTestId("sim-message");

        await box.FillAsync("Hola, quiero una cita mañana");
        await page.GetByRole(AriaRole.Button, new() { Name = "Enviar" }).ClickAsync();
        await Assertions.Expect(messages.Filter(new() { HasText = "¿Cuál te queda mejor?" })).ToBeVisibleAsync(Slow);
        var slots = page.GetByTestId("sim-choice");
        var first = (await slots.First.InnerTextAsync()).Trim();
        Assert.Matches(@"^\d{2}:\d{2}$", first);
        await slots.First.ClickAsync();
        await Assertions.Expect(messages.Filter(new() { HasText = "¡Listo! Tu cita quedó agendada" })).ToBeVisibleAsync(Slow);
        Assert.Contains($"a las {first}", await messages.Filter(new() { HasText = "¡Listo!" }).InnerTextAsync());

        await box.FillAsync("¿Cuánto cuesta la limpieza?");
        await page.GetByRole(AriaRole.Button, new() { Name = "Enviar" }).ClickAsync();
        var price = messages.Filter(new() { HasText = "Limpieza dental (profilaxis): $650 MXN" });
        await Assertions.Expect(price).ToBeVisibleAsync(Slow);
        Assert.DoesNotContain("Blanqueamiento", await price.InnerTextAsync());
        // The automatic-assistant notice came with the first reply only.
        await Assertions.Expect(messages.Filter(new() { HasText = "asistente automático" })).ToHaveCountAsync(1);
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("simulator-offline-agent-desktop-es.png") });
        await page.SetViewportSizeAsync(390, 844);
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("simulator-offline-agent-phone-es.png"), FullPage = true });

        // The inbox's contact panel says what this customer wants, instead of "no summary yet".
        await page.SetViewportSizeAsync(1440, 900);
        await page.GotoAsync($"/inbox/{await ConversationOfAsync(customerId)}");
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        var summary = page.GetByTestId("contact-summary");
        await Assertions.Expect(summary).ToContainTextAsync("Busca: Limpieza dental; una cita");
        await Assertions.Expect(summary).Not.ToContainTextAsync("Aún no hay resumen");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("inbox-offline-summary-desktop-es.png") });
    }
}
