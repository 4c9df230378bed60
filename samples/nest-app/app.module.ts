import { Module } from '@nestjs/common';
import type { Request } from 'express';
import { MemoryJobStore } from '../../src';
import { SmartAsyncModule } from '../../src/nestjs';
import { ReportController, ReportService } from './reports';

@Module({
  imports: [
    SmartAsyncModule.forRoot({
      store: new MemoryJobStore(), // or new FileJobStore({ path: './var/jobs' }), new RedisJobStore(…)
      jobsPath: '/jobs',
      owner: (req: Request) => req.header('x-user') || undefined,
      retryAfterSeconds: 1,
      config: { closeGraceMs: 300, onWarning: (message) => console.log(`warning: ${message}`) },
    }),
  ],
  controllers: [ReportController],
  providers: [ReportService],
})
export class AppModule {}
