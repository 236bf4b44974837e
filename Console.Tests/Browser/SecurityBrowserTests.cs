using Microsoft.Playwright;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>The console under its Content-Security-Policy, and the simulator's target chosen by the server.</summary>
public class SecurityBrowserTests(BrowserAppFactory app, BrowserFixture browser)
    : IClassFixture<BrowserAppFactory>, IClassFixture<BrowserFixture>
{
    private async Task<(IPage Page, List<string> Violations)> SignedInAsync(Uri baseUrl, string returnUrl)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl.ToString(), Locale = "es-MX", ViewportSize = new ViewportSize { Width = 1366, Height = 860 },
        });
        var page = await context.NewPageAsync();
        var violations = new List<string>();
        page.Console += (_, m) =>
        {
            if (m.Type == "error" && (m.Text.Contains("Content Security Policy") || m.Text.Contains("Refused to"))) violations.Add(m.Text);
        };
        page.PageError += (_, e) => violations.Add("page error: " + e);
        await page.GotoAsync("/Account/Login?returnUrl=" + Uri.EscapeDataString(returnUrl));
        await page.GetByLabel("Correo electrónico").FillAsync(DemoSeeder.OwnerEmail);
        await page.GetByLabel("Contraseña").FillAsync(DemoSeeder.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Entrar" }).ClickAsync();
        await page.WaitForURLAsync("**" + returnUrl);
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return (page, violations);
    }

    [Fact]
    public async Task The_inbox_runs_under_the_content_security_policy_without_violations()
    {
        var (page, violations) = await SignedInAsync(app.ServerAddress, "/inbox");
        var response = await page.ReloadAsync();
        Assert.Contains("frame-ancestors 'none'", await response!.HeaderValueAsync("content-security-policy") ?? "");
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });

        // Interactive: open the first conversation of the demo workspace, then another page.
        var first = page.GetByTestId("conversation-row").First;
        await first.ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/inbox/"));
        await page.GotoAsync("/leads");
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        Assert.Empty(violations);
    }

    [Fact]
    public async Task The_simulator_posts_to_the_app_itself_not_to_the_address_the_browser_used()
    {
        // Only the browser can resolve this name (BrowserFixture maps *.console.test to 127.0.0.1); a server that
        // took its target from the page's address would fail to reach it.
        var browserOnly = new UriBuilder(app.ServerAddress) { Host = "customer.console.test" }.Uri;
        var (page, violations) = await SignedInAsync(browserOnly, "/simulator");

        var customerId = "52155" + Random.Shared.Next(10000000, 99999999);
        var idField = page.GetByLabel("Id del cliente en el canal");
        await idField.FillAsync(customerId);
        await idField.BlurAsync();
        await page.GetByPlaceholder("Mensaje como cliente").FillAsync("Hola desde otro dominio");
        await page.GetByRole(AriaRole.Button, new() { Name = "Enviar" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("sim-message").Filter(new() { HasText = "Hola desde otro dominio" })).ToBeVisibleAsync();
        Assert.Empty(violations);
    }
}
