using Microsoft.Playwright;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>An owner edits the draft agent and tests it in the sandbox: reply, tool calls, prompt and cost, no real customer touched.</summary>
public class AgentSandboxBrowserTests(AgentBrowserApp agent, BrowserFixture browser) : IClassFixture<AgentBrowserApp>, IClassFixture<BrowserFixture>
{
    private Task<IPage> SignInAsync(string locale, int width, int height) =>
        browser.SignInAsync(agent.App.ServerAddress, DemoSeeder.OwnerEmail, DemoSeeder.Password, "/agent", locale, width, height);

    [Fact]
    public async Task Owner_tests_the_draft_in_the_sandbox_and_sees_the_tool_call_the_prompt_and_the_cost()
    {
        var page = await SignInAsync("es-MX", 1366, 900);
        await page.GetByLabel("Tono").FillAsync("muy cálido, con emojis");
        await page.GetByRole(AriaRole.Button, new() { Name = "Guardar borrador" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Borrador guardado")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Tab, new() { Name = "Sandbox" }).ClickAsync();
        agent.Llm.Reply(LlmAnswer.Call("send_options", new { text = "¿Qué día te queda mejor?", options = new[] { "Lunes", "Martes" } }),
            LlmAnswer.Say("¡Claro! 😊 Elige un día."));
        await page.GetByPlaceholder("Mensaje como cliente").FillAsync("Hola, quiero agendar una limpieza");
        await page.GetByRole(AriaRole.Button, new() { Name = "Enviar" }).ClickAsync();

        var messages = page.GetByTestId("sandbox-message");
        await Assertions.Expect(messages.Filter(new() { HasText = "Elige un día" })).ToBeVisibleAsync();
        await Assertions.Expect(messages.Filter(new() { HasText = "1. Lunes" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("sandbox-tool-call").Filter(new() { HasText = "send_options" })).ToBeVisibleAsync();
        // Two model calls (the tool call, then the answer): their tokens add up, priced at gpt-4o rates.
        await Assertions.Expect(page.GetByTestId("sandbox-tokens")).ToContainTextAsync("240 de entrada / 60 de salida · US$ 0.0012");
        await page.GetByText("Instrucciones generadas").ClickAsync();
        await Assertions.Expect(page.GetByTestId("sandbox-prompt")).ToContainTextAsync("muy cálido, con emojis");
        await Assertions.Expect(page.GetByTestId("sandbox-prompt")).ToContainTextAsync("Clínica Dental Sonrisa");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("agent-sandbox-es.png"), FullPage = true });
    }

    [Fact]
    public async Task The_agent_page_works_in_english_on_a_phone()
    {
        var page = await SignInAsync("en-US", 390, 844);
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Publish draft" })).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("agent-profile-phone-en.png"), FullPage = true });
        await page.GetByRole(AriaRole.Tab, new() { Name = "Sandbox" }).ClickAsync();
        await page.GetByPlaceholder("Message as the customer").FillAsync("Do you open on Sundays?");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("sandbox-message").Filter(new() { HasText = agent.Llm.DefaultReply })).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("agent-sandbox-phone-en.png"), FullPage = true });
    }

    [Fact]
    public async Task Owner_adds_a_product_whose_price_the_agents_payment_link_then_charges()
    {
        var page = await SignInAsync("es-MX", 1366, 900);
        await page.GetByRole(AriaRole.Tab, new() { Name = "Productos" }).ClickAsync();
        var name = "Carillas " + Guid.NewGuid().ToString("N")[..6];
        await page.GetByLabel("Nombre del producto").FillAsync(name);
        await page.GetByLabel("Precio", new() { Exact = true }).FillAsync("450");
        await page.GetByRole(AriaRole.Button, new() { Name = "Agregar producto" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("product-row").Filter(new() { HasText = name })).ToBeVisibleAsync();

        // The sandbox's payment link uses the catalogue price, whatever amount the model says.
        await page.GetByRole(AriaRole.Tab, new() { Name = "Sandbox" }).ClickAsync();
        agent.Llm.Reply(LlmAnswer.Call("send_payment_link", new { product_or_plan = name.ToUpperInvariant(), amount = 1, currency = "MXN" }),
            LlmAnswer.Say("Te mandé el enlace."));
        await page.GetByPlaceholder("Mensaje como cliente").FillAsync("¿Me lo dejas en 1 peso?");
        await page.GetByRole(AriaRole.Button, new() { Name = "Enviar" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("sandbox-message").Filter(new() { HasText = $"{name}: 450 MXN" })).ToBeVisibleAsync();
    }
}
