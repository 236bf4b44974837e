using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>The agent's copilot: a suggested reply lands in the composer for the agent to edit, and a summary on demand.</summary>
public class CopilotBrowserTests(AgentBrowserApp agent, BrowserFixture browser) : IClassFixture<AgentBrowserApp>, IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task The_agent_gets_a_suggested_reply_to_edit_and_a_summary_of_the_conversation()
    {
        var app = agent.App;
        Guid tenantId, conversationId;
        await using (var system = app.Scopes.ForSystem("test"))
            tenantId = await system.Db.Tenants.Where(t => t.Slug == DemoSeeder.TenantSlug).Select(t => t.Id).SingleAsync();
        await using (var work = app.Scopes.ForTenant(tenantId))
            conversationId = await (from c in work.Db.Conversations join k in work.Db.Contacts on c.ContactId equals k.Id
                                    where k.Name == "María González" select c.Id).SingleAsync();

        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.ServerAddress.ToString(), Locale = "es-MX", ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/Account/Login?returnUrl={Uri.EscapeDataString($"/inbox/{conversationId}")}");
        await page.GetByLabel("Correo electrónico").FillAsync(DemoSeeder.AgentEmail);
        await page.GetByLabel("Contraseña").FillAsync(DemoSeeder.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Entrar" }).ClickAsync();
        await page.WaitForURLAsync($"**/inbox/{conversationId}");
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });

        agent.Llm.Reply(LlmAnswer.Say("¡Claro, María! El jueves a las 16:00 tenemos espacio. ¿Te lo aparto?"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sugerir respuesta" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("Escribe un mensaje")).ToHaveValueAsync("¡Claro, María! El jueves a las 16:00 tenemos espacio. ¿Te lo aparto?");
        var request = agent.Llm.ReplyRequests.Last().ToJsonString();
        Assert.Contains("jueves por la tarde", request); // the model saw the conversation
        Assert.Contains("Limpieza", request);            // and the clinic's knowledge about cleanings

        agent.Llm.Reply(LlmAnswer.Say("María quiere una limpieza el jueves por la tarde; falta confirmarle el horario."));
        await page.GetByRole(AriaRole.Button, new() { Name = "Resumir la conversación" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("copilot-summary")).ToContainTextAsync("falta confirmarle el horario");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("inbox-copilot-es.png") });

        await using var check = app.Scopes.ForTenant(tenantId);
        Assert.Equal(2, await check.Db.TokenUsage.CountAsync(u => u.ConversationId == conversationId && u.Feature == LlmFeature.Copilot));
    }
}
