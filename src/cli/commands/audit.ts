import type { Command } from 'commander';
import { verifyAuditChain } from '../../shared/compliance/audit-chain';
import { CliError, EXIT } from '../io';
import type { CliServices } from '../services';

export function auditCommands(program: Command, svc: () => CliServices): void {
  const audit = program.command('audit').description('the audit trail');

  audit
    .command('verify')
    .description('check the audit trail hash chain: finds deleted and altered rows; exit 1 if any')
    .action(async () => {
      const s = svc();
      await s.audited('audit.verify', async (done) => {
        const report = await verifyAuditChain(s.db);
        for (const p of report.problems) s.io.out(`problem   ${p.message}`);
        s.io.out(
          `${report.rows} row(s); head ${report.head ? `${report.head.id} ${report.head.hash}` : '-'} (record it elsewhere to detect a rewrite of the whole chain)`,
        );
        await s.audit({
          action: 'audit.verify',
          outcome: report.ok ? 'success' : 'failure',
          detail: { rows: report.rows, problems: report.problems.length, head: report.head },
        });
        done();
        s.io.out(report.ok ? 'AUDIT CHAIN OK' : 'AUDIT CHAIN BROKEN');
        if (!report.ok) throw new CliError('the audit chain is broken', EXIT.failed);
      });
    });
}
