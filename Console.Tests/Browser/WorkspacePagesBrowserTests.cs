using Microsoft.Playwright;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>The workspace and command-center pages render their data for the roles that may see them.</summary>
public class WorkspacePagesBrowserTests(BrowserAppFactory app, BrowserFixture browser)
    : IClassFixture<BrowserAppFactory>, IClassFixture<BrowserFixture>
{
    private async Task<IPage> SignInAsync(string email, string returnUrl)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.ServerAddress.ToString(), Locale = "es-MX", ViewportSize = new ViewportSize { Width = 1366, Height = 860 },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/Account/Login?returnUrl={Uri.EscapeDataString(returnUrl)}");
        await page.GetByLabel("Correo electrónico").FillAsync(email);
        await page.GetByLabel("Contraseña").FillAsync(DemoSeeder.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Entrar" }).ClickAsync();
        await page.WaitForURLAsync("**" + returnUrl);
        return page;
    }

    [Fact]
    public async Task Owner_sees_scored_leads_and_connected_channels()
    {
        var page = await SignInAsync(DemoSeeder.OwnerEmail, "/leads");
        var carlos = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Carlos Ramírez" });
        await Assertions.Expect(carlos).ToContainTextAsync("85");
        await Assertions.Expect(carlos).ToContainTextAsync("Caliente");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("leads-es.png") });

        await page.GotoAsync("/channels");
        var whatsapp = page.GetByRole(AriaRole.Row).Filter(new() { HasText = DemoSeeder.WhatsAppPhoneNumberId });
        await Assertions.Expect(whatsapp).ToContainTextAsync("Activo");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("channels-es.png") });
        // The webhook URL for a business's own app is one click away, under the channel's actions.
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await whatsapp.GetByTestId("channel-actions").ClickAsync();
        await page.GetByTestId("action-webhook").ClickAsync();
        await Assertions.Expect(page.GetByTestId("webhook-url")).ToContainTextAsync("/webhooks/whatsapp/demo");
    }

    [Fact]
    public async Task Super_admin_sees_tenants_and_system_events_in_the_command_center()
    {
        // The demo super admin chose English, and a saved choice wins over the browser's Spanish.
        var page = await SignInAsync(DemoSeeder.AdminEmail, "/admin/tenants");
        await Assertions.Expect(page.GetByText("demo", new() { Exact = true }).First).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("admin-en.png") });
        await page.GotoAsync("/admin/events?q=demo");
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await Assertions.Expect(page.GetByText("Workspace 'demo' created")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task No_workspace_page_tells_users_about_a_plan_of_later_work()
    {
        // Each screen shows what it does (or an empty state), never which future step of our plan completes it.
        var page = await SignInAsync(DemoSeeder.OwnerEmail, "/appointments");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Nueva cita" })).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("appointments-es.png") });
        foreach (var path in new[] { "/appointments", "/leads", "/channels", "/team", "/billing" })
        {
            await page.GotoAsync(path);
            await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
            var text = await page.Locator("body").InnerTextAsync();
            Assert.DoesNotMatch(@"(?i)\bpaso \d|\bdel plan\b|\broadmap\b|\bstep \d", text);
        }
    }
}
