using SharpFuzz;
using Shrink.Fuzz;

// Coverage-guided fuzzing of the model loader (OnnxModel.Load) with SharpFuzz and afl++; see bench/fuzz-loader.sh.
//   Shrink.Fuzz                      the afl++ target: reads inputs from afl's shared memory, one process for many inputs
//   Shrink.Fuzz instrument DLL...    instruments assemblies in place (run on a copy of the build output)
//   Shrink.Fuzz seeds DIR [MODEL...] writes the tiny seed models (and the given models' first 512 KiB) to DIR
//   Shrink.Fuzz run FILE...          loads each file as the target does and says what happened (to replay crashes)
switch (args.FirstOrDefault())
{
    case "instrument":
        foreach (var dll in args.Skip(1))
        {
            Fuzzer.Instrument(dll, type => type.StartsWith("Shrink", StringComparison.Ordinal) || type.StartsWith("Onnx", StringComparison.Ordinal), Options.Value);
            Console.WriteLine($"instrumented {dll}");
        }
        return 0;
    case "seeds":
        return Seeds.Write(args[1], args.Skip(2).ToArray());
    case "run":
        int crashes = 0;
        foreach (var file in args.Skip(1))
        {
            try
            {
                LoaderTarget.Load(File.ReadAllBytes(file));
                Console.WriteLine($"{file}: loaded or refused cleanly");
            }
            catch (Exception e)
            {
                crashes++;
                Console.WriteLine($"{file}: CRASH {e.GetType().FullName}: {e.Message}");
            }
        }
        return crashes == 0 ? 0 : 1;
    default:
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            LoaderTarget.Load(buffer.ToArray());
        });
        return 0;
}
