/**
 * The plugin server: go-plugin handshake on stdout, AutoMTLS, tfplugin6.Provider over gRPC,
 * plugin.GRPCController/Shutdown, and a clean exit on SIGINT/SIGTERM, on Shutdown or when
 * Terraform (the parent) goes away. Logs go to stderr only.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { loadOrMintCert } from './cert.js';
import { LocalProvider } from './provider.js';
import type { ProviderDefinition } from './schema.js';

export const MAGIC_COOKIE_KEY = 'TF_PLUGIN_MAGIC_COOKIE';
export const MAGIC_COOKIE_VALUE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The vendored proto stays in the source tree (dist/cloud/provider → cloud/provider/proto). */
export const PROTO_FILE = path.resolve(here, '../../../cloud/provider/proto/tfplugin6.8.proto');

function log(msg: string): void {
  process.stderr.write(`[local-cloud] ${msg}\n`);
}

const IDLE_AFTER_SIGNAL_MS = 1_500;

type Handler = (req: Record<string, unknown>) => Record<string, unknown>;

export async function serve(def: ProviderDefinition): Promise<void> {
  if (process.env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
    process.stderr.write(
      `This binary is a plugin (local cloud stand-in for hashicorp/${def.name}). It is not meant to be executed directly;\n` +
        'Terraform starts it (install it with: node dist/cloud/provider/install.js <dir>).\n',
    );
    process.exit(1);
  }
  const definition = protoLoader.loadSync(PROTO_FILE, {
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    tfplugin6: { Provider: { service: grpc.ServiceDefinition } };
  };
  const provider = new LocalProvider(def);
  const server = new grpc.Server();
  let inflight = 0;
  let lastActivity = Date.now();
  const exit = (why: string): void => {
    log(`exiting: ${why}`);
    server.forceShutdown();
    process.exit(0);
  };

  const methods: Record<string, Handler> = {
    GetMetadata: () => provider.getMetadata(),
    GetProviderSchema: () => provider.getProviderSchema(),
    ValidateProviderConfig: (r) => provider.validateProviderConfig(r),
    ValidateResourceConfig: (r) => provider.validateResourceConfig(r),
    ValidateDataResourceConfig: () => ({ diagnostics: [] }),
    UpgradeResourceState: (r) => provider.upgradeResourceState(r),
    ConfigureProvider: (r) => provider.configureProvider(r),
    ReadResource: (r) => provider.readResource(r),
    PlanResourceChange: (r) => provider.planResourceChange(r),
    ApplyResourceChange: (r) => provider.applyResourceChange(r),
    ImportResourceState: (r) => provider.importResourceState(r),
    GetFunctions: () => ({ functions: {}, diagnostics: [] }),
    StopProvider: () => ({ Error: '' }),
  };
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [name, fn] of Object.entries(methods)) {
    impl[name] = (
      call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => {
      inflight++;
      lastActivity = Date.now();
      try {
        callback(null, fn(call.request));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        log(`${name} failed: ${message}`);
        callback(null, { diagnostics: [{ severity: 'ERROR', summary: `local cloud: ${message}`, detail: '' }] });
      } finally {
        inflight--;
        lastActivity = Date.now();
      }
    };
  }
  server.addService(pkg.tfplugin6.Provider.service, impl);

  const empty = {
    requestSerialize: () => Buffer.alloc(0),
    requestDeserialize: () => ({}),
    responseSerialize: () => Buffer.alloc(0),
    responseDeserialize: () => ({}),
  };
  const controller: grpc.ServiceDefinition = {
    Shutdown: { path: '/plugin.GRPCController/Shutdown', requestStream: false, responseStream: false, ...empty },
  };
  server.addService(controller, {
    Shutdown: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      callback(null, {});
      setTimeout(() => exit('Shutdown'), 10);
    },
  });

  let creds: grpc.ServerCredentials;
  let certField = '';
  const clientCert = process.env['PLUGIN_CLIENT_CERT'];
  if (process.env['TF_DISABLE_PLUGIN_TLS'] === '1' || !clientCert) {
    creds = grpc.ServerCredentials.createInsecure();
  } else {
    const cert = loadOrMintCert();
    creds = grpc.ServerCredentials.createSsl(
      Buffer.from(clientCert),
      [{ private_key: Buffer.from(cert.keyPem), cert_chain: Buffer.from(cert.certPem) }],
      true,
    );
    certField = cert.handshake;
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', creds, (err, p) => (err ? reject(err) : resolve(p))),
  );

  // Terraform forwards Ctrl-C to its whole process group, then calls StopProvider, lets in-flight
  // calls finish and ends with Shutdown. So a signal does not end the plugin at once (go-plugin
  // ignores SIGINT): it exits once no call has been in flight for IDLE_AFTER_SIGNAL_MS (or at
  // Shutdown, whichever comes first), so a plugin whose host stopped talking never lingers.
  let signalled = false;
  const onSignal = (sig: string) => () => {
    if (signalled) return;
    signalled = true;
    log(`${sig}: exiting once idle for ${IDLE_AFTER_SIGNAL_MS} ms (or at Shutdown)`);
    setInterval(() => {
      if (inflight === 0 && Date.now() - lastActivity >= IDLE_AFTER_SIGNAL_MS) exit(`${sig}, then idle`);
    }, 100);
    setTimeout(() => exit(`${sig} (gave up waiting for in-flight calls after 30 s)`), 30_000).unref();
  };
  process.on('SIGINT', onSignal('SIGINT'));
  process.on('SIGTERM', onSignal('SIGTERM'));
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) exit('parent process went away');
  }, 1_000).unref();

  process.stdout.write(`1|6|tcp|127.0.0.1:${port}|grpc${certField ? `|${certField}` : ''}\n`);
}
