using System.Diagnostics;
using System.Text.Json;

namespace Sluice.IntegrationTests.Bench;

/// <summary>
/// Runs the benchmark harness's quick mode the way a user would, through <c>sluice bench … --quick</c> (the CLI finds
/// Sluice.Bench.dll beside itself and runs it as a child process), and checks only that it ran and measured something for
/// Sluice and its baseline. No speed is asserted: speed is measured in bench/, not tested.
/// </summary>
public sealed class BenchSmokeTests
{
    [Fact]
    public async Task QuickCaptureAndResumeProduceNumbers()
    {
        var results = Directory.CreateTempSubdirectory("sluice-bench-smoke-");
        try
        {
            var info = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "sluice.dll"), "bench", "capture", "resume", "--quick", "--results", results.FullName })
                info.ArgumentList.Add(argument);
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await process.WaitForExitAsync(timeout.Token);
            var errorText = await errors;
            Assert.True(process.ExitCode == 0, $"sluice bench exited with {process.ExitCode}:\n{await output}\n{errorText}");
            Assert.Contains("Sluice.Bench.dll", errorText, StringComparison.Ordinal); // the CLI says what it runs

            foreach (var scenario in new[] { "capture", "resume" })
            {
                var json = Assert.Single(results.GetFiles($"{scenario}-quick-*.json"));
                Assert.NotEmpty(results.GetFiles($"{scenario}-quick-*.png"));
                using var document = JsonDocument.Parse(await File.ReadAllTextAsync(json.FullName));
                var cases = document.RootElement.GetProperty("cases").EnumerateArray().ToList();
                Assert.NotEmpty(cases);
                foreach (var result in cases)
                {
                    Assert.True(result.GetProperty("sluice").GetDouble() > 0, result.ToString());
                    Assert.True(result.GetProperty("baseline").GetDouble() > 0, result.ToString());
                }
            }
        }
        finally
        {
            results.Delete(recursive: true);
        }
    }
}
