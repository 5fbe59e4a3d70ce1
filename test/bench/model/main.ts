import { X } from '@vsnet/model';
console.log('bench', X);
