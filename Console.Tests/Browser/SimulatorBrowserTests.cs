using Microsoft.Playwright;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>The whole channel path in a browser: signed webhook in, processing, a reply out (loopback), status webhooks back.</summary>
public class SimulatorBrowserTests(BrowserAppFactory app, BrowserFixture browser)
    : IClassFixture<BrowserAppFactory>, IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Owner_chats_as_a_customer_and_sees_the_reply_go_from_sent_to_read()
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.ServerAddress.ToString(), Locale = "es-MX", ViewportSize = new ViewportSize { Width = 1366, Height = 860 },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/Account/Login?returnUrl=%2Fsimulator");
        await page.GetByLabel("Correo electrónico").FillAsync(DemoSeeder.OwnerEmail);
        await page.GetByLabel("Contraseña").FillAsync(DemoSeeder.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Entrar" }).ClickAsync();
        await page.WaitForURLAsync("**/simulator");
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });

        // A customer nobody has seen before, so the test owns its conversation.
        var customerId = "52155" + Random.Shared.Next(10000000, 99999999);
        var idField = page.GetByLabel("Id del cliente en el canal");
        await idField.FillAsync(customerId);
        await idField.BlurAsync();
        await page.GetByPlaceholder("Mensaje como cliente").FillAsync("Hola, ¿tienen cita mañana?");
        await page.GetByRole(AriaRole.Button, new() { Name = "Enviar" }).ClickAsync();
        var messages = page.GetByTestId("sim-message");
        await Assertions.Expect(messages.Filter(new() { HasText = "Hola, ¿tienen cita mañana?" })).ToBeVisibleAsync();
        // Live updates come from a background worker: the page must stay in the user's language.
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Simulador de cliente" })).ToBeVisibleAsync();

        await page.GetByPlaceholder("Responder como el negocio").FillAsync("Sí, a las 10:00. ¿Le agendo?");
        await page.GetByRole(AriaRole.Button, new() { Name = "Responder" }).ClickAsync();
        var reply = messages.Filter(new() { HasText = "Sí, a las 10:00" });
        await Assertions.Expect(reply).ToBeVisibleAsync();
        // Loopback sends it; the simulated phone acknowledges delivered, then read, through status webhooks.
        await Assertions.Expect(reply.GetByLabel("Leído")).ToBeVisibleAsync(new() { Timeout = 15000 });
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("simulator-es.png") });
    }
}
