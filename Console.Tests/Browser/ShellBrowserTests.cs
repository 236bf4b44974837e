using Microsoft.Playwright;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Infrastructure.Tenants;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

public class ShellBrowserTests(BrowserAppFactory app, BrowserFixture browser)
    : IClassFixture<BrowserAppFactory>, IClassFixture<BrowserFixture>
{
    private async Task<IPage> SignInAsync(string email, int width = 1366, int height = 860, string password = DemoSeeder.Password)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.ServerAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            Locale = "es-MX",
        });
        var page = await context.NewPageAsync();
        // Owners land on the home dashboard; these tests are about the shell around the inbox.
        await page.GotoAsync("/Account/Login?returnUrl=%2Finbox");
        await page.GetByLabel("Correo electrónico").FillAsync(email);
        await page.GetByLabel("Contraseña").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Entrar" }).ClickAsync();
        await page.WaitForURLAsync("**/inbox");
        return page;
    }

    // Clicks before the circuit is live are lost; the layout renders #console-ready only once it is.
    private static async Task WaitForInteractiveAsync(IPage page) =>
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });

    [Fact]
    public async Task Owner_signs_in_and_uses_the_shell_in_Spanish_then_English()
    {
        var page = await SignInAsync(DemoSeeder.OwnerEmail);
        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Navegación principal" });
        await Assertions.Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Bandeja de entrada" })).ToBeVisibleAsync();
        await Assertions.Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Facturación" })).ToBeVisibleAsync();
        // Owners are not super admins: no command center.
        await Assertions.Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Centro de mando" })).ToHaveCountAsync(0);
        // The seeded conversations are listed.
        await Assertions.Expect(page.GetByText("María González")).ToBeVisibleAsync();
        await page.GetByTestId("conversation-row").Filter(new() { HasText = "Carlos Ramírez" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("chat-timeline").GetByText("Necesito hablar con alguien", new() { Exact = false })).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("shell-es.png") });

        await WaitForInteractiveAsync(page);
        await page.GetByLabel("Idioma", new() { Exact = true }).ClickAsync();
        await page.Locator(".mud-popover-open").GetByText("English").ClickAsync();
        var navEn = page.GetByRole(AriaRole.Navigation, new() { Name = "Main navigation" });
        await Assertions.Expect(navEn.GetByRole(AriaRole.Link, new() { Name = "Inbox" })).ToBeVisibleAsync();
        await Assertions.Expect(navEn.GetByRole(AriaRole.Link, new() { Name = "Billing" })).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("shell-en.png") });

        // The choice is remembered: a new page load stays in English.
        await page.GotoAsync("/leads");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Leads" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Hot").First).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Owner_of_two_businesses_switches_tenant_in_the_top_bar()
    {
        // Its own owner and businesses: switching changes the user's remembered tenant, which no other test may see.
        var email = TestData.Unique("multi") + "@owner.test";
        ProvisionedTenant bakery;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var provisioning = scope.ServiceProvider.GetRequiredService<TenantProvisioning>();
            bakery = await provisioning.CreateAsync(new NewTenant("Panadería Aurora", TestData.Unique("pan"), Plan.Starter, email, "Str0ng!Pass"), "test");
            await provisioning.CreateAsync(new NewTenant("Taller Orión", TestData.Unique("tal"), Plan.Starter, email, null), "test");
        }
        await app.ConversationAsync(bakery.Id, "Rosa Pan", "¿Tienen conchas?");

        var page = await SignInAsync(email, password: "Str0ng!Pass");
        await Assertions.Expect(page.GetByText("Rosa Pan")).ToBeVisibleAsync();
        await WaitForInteractiveAsync(page);
        await page.GetByLabel("Cambiar de negocio", new() { Exact = true }).ClickAsync();
        await page.Locator(".mud-popover-open").GetByText("Taller Orión").ClickAsync();
        await page.WaitForURLAsync("**/inbox");
        await Assertions.Expect(page.GetByLabel("Cambiar de negocio", new() { Exact = true })).ToContainTextAsync("Taller Orión");
        // The other business's conversations are gone from the list.
        await Assertions.Expect(page.GetByText("Rosa Pan")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task The_login_page_follows_the_browser_language()
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = app.ServerAddress.ToString(), Locale = "en-US" });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/inbox");
        await page.WaitForURLAsync("**/Account/Login**");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await page.GetByLabel("E-mail").FillAsync("nobody@demo.local");
        await page.GetByLabel("Password").FillAsync("not-the-password");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("login-en.png") });
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Wrong e-mail or password.");
    }

    [Fact]
    public async Task The_shell_is_usable_on_a_phone()
    {
        var page = await SignInAsync(DemoSeeder.AgentEmail, 390, 844);
        await Assertions.Expect(page.GetByText("María González")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("shell-phone-es.png"), FullPage = false });
        await WaitForInteractiveAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Mostrar u ocultar menú" }).ClickAsync();
        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Navegación principal" });
        await Assertions.Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Prospectos" })).ToBeVisibleAsync();
        await Assertions.Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Facturación" })).ToHaveCountAsync(0);
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("shell-phone-menu-es.png") });
    }
}
