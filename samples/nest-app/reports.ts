import { Body, Controller, HttpCode, Injectable, Post } from '@nestjs/common';
import { IsBoolean, IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { jobContext, JobManager, SmartAsync, type SmartResult } from '../../src';

export class BuildReportDto {
  @IsIn(['eu', 'us', 'apac'])
  region!: string;

  @IsInt()
  @Min(1)
  @Max(100)
  steps!: number;

  @IsOptional()
  @IsBoolean()
  async_mode?: boolean;
}

@Injectable()
export class ReportService {
  // The app's JobManager, injected by type: the one the decorated method below uses.
  constructor(readonly jobs: JobManager) {}

  @SmartAsync({ timeoutMs: 200 })
  async build(dto: BuildReportDto): Promise<SmartResult<{ region: string; rows: number }>> {
    const ctx = jobContext()!;
    for (let step = 1; step <= dto.steps; step++) {
      ctx.signal.throwIfAborted();
      await new Promise((r) => setTimeout(r, 100));
      ctx.reportProgress(step, dto.steps);
    }
    return { region: dto.region, rows: dto.steps * 1000 };
  }
}

@Controller('reports')
export class ReportController {
  constructor(private readonly reports: ReportService) {}

  @Post()
  @HttpCode(200) // a report that finished in time; a ticket becomes 202 (SmartAsyncModule's interceptor)
  build(@Body() dto: BuildReportDto): Promise<SmartResult<{ region: string; rows: number }>> {
    return this.reports.build(dto);
  }
}
