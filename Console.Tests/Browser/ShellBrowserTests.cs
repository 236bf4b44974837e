using Microsoft.Playwright;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

public class ShellBrowserTests(BrowserAppFactory app, BrowserFixture browser)
    : IClassFixture<BrowserAppFactory>, IClassFixture<BrowserFixture>
{
    private async Task<IPage> SignInAsync(string email, int width = 1366, int height = 860)
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.ServerAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            Locale = "es-MX",
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/Account/Login");
        await page.GetByLabel("Correo electrónico").FillAsync(email);
        await page.GetByLabel("Contraseña").FillAsync(DemoSeeder.Password);
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
        await page.GetByText("Carlos Ramírez").ClickAsync();
        await Assertions.Expect(page.Locator(".chat-panel").GetByText("Necesito hablar con alguien", new() { Exact = false })).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("shell-es.png") });

        await WaitForInteractiveAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Idioma" }).ClickAsync();
        await page.GetByText("English").ClickAsync();
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
        var page = await SignInAsync(DemoSeeder.OwnerEmail);
        await WaitForInteractiveAsync(page);
        await page.GetByText("Clínica Dental Sonrisa").First.ClickAsync();
        await page.GetByRole(AriaRole.Menuitem, new() { Name = "Spa Serena" }).ClickAsync();
        await page.WaitForURLAsync("**/inbox");
        await Assertions.Expect(page.GetByText("Spa Serena").First).ToBeVisibleAsync();
        // The other business's conversations are gone from the list.
        await Assertions.Expect(page.GetByText("María González")).ToHaveCountAsync(0);
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
